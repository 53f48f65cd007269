import { cudaBackend } from '@flatsparse/backend-cuda';
import { engineConformance } from '@flatsparse/core/testing';
import { describeBackendConformance, describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';
import { it } from 'vitest';

// The backend suite and every built-in plugin's suite on 'cuda' (tfjs-node-gpu, resolved from the
// current directory). Without the package, a working binding or a GPU, the backend suite prints the
// reason with its fix and skips every case; the plugin suites are then one skipped entry (one printed
// reason is enough). No exclusions yet: no real binding has run these suites in this repository.
// 'tensorflow-cpu' has its own file: one process holds only one of tfjs-node and tfjs-node-gpu.
const backend = cudaBackend();
const availability = await backend.isAvailable();
describeBackendConformance(backend, engineConformance());
if (availability.available) {
  for (const [name, entry] of builtinPlugins) describePluginConformance(name, () => entry.factory(entry.testOptions), { backend });
} else {
  console.warn(`[skip] plugin conformance on 'cuda': ${availability.reason}`);
  it.skipIf(!availability.available)(`plugin conformance on 'cuda' (skipped: ${availability.reason})`, () => undefined);
}
