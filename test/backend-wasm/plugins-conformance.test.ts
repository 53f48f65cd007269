import { wasmBackend } from '@flatsparse/backend-wasm';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';

// Every built-in runs the core plugin suite (validation, hook order, error attribution, leaks, and a
// check of each contribution), like any third-party plugin. Options: the ones a config would give.
const OPTIONS: Readonly<Record<string, unknown>> = { 'l1-activation': { weight: 1e-3 }, 'shifted-relu': { sx: 1.6, sy: -1.6 }, 's-shaped-squared-relu': { sx: -1.6, sy: 1.6 } };

for (const [name, entry] of builtinPlugins) {
  describePluginConformance(name, () => entry.factory(OPTIONS[name]), { backend: wasmBackend() });
}
