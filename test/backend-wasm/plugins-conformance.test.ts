import { wasmBackend } from '@flatsparse/backend-wasm';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';

// Every built-in runs the core plugin suite (validation, hook order, error attribution, leaks, and a
// check of each contribution), like any third-party plugin. Options: the ones a config would give.

for (const [name, entry] of builtinPlugins) {
  describePluginConformance(name, () => entry.factory(entry.testOptions), { backend: wasmBackend() });
}
