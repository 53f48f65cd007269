import { tensorflowCpuBackend } from '@flatsparse/backend-cuda';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance, describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';
import { it } from 'vitest';

// The backend suite and every built-in plugin's suite on 'tensorflow-cpu' (tfjs-node, resolved from
// the current directory); skipped with the printed reason when the package or its binding is missing.
const backend = tensorflowCpuBackend();
const availability = await backend.isAvailable();
describeBackendConformance(backend, engineConformance());
if (availability.available) {
  for (const [name, entry] of builtinPlugins) describePluginConformance(name, () => entry.factory(entry.testOptions), { backend });
} else {
  console.warn(`[skip] plugin conformance on 'tensorflow-cpu': ${availability.reason}`);
  it.skipIf(!availability.available)(`plugin conformance on 'tensorflow-cpu' (skipped: ${availability.reason})`, () => undefined);
}
