import { nativeBackend } from '@flatsparse/backend-native';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';

// Every built-in plugin, unchanged, runs the plugin suite on the native backend, with the options a
// config would give (as on wasm: test/backend-wasm/plugins-conformance.test.ts).
const OPTIONS: Readonly<Record<string, unknown>> = { 'l1-activation': { weight: 1e-3 }, 'shifted-relu': { sx: 1.6, sy: -1.6 }, 's-shaped-squared-relu': { sx: -1.6, sy: 1.6 } };

for (const [name, entry] of builtinPlugins) {
  describePluginConformance(name, () => entry.factory(OPTIONS[name]), { backend: nativeBackend() });
}
