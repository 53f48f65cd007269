import { nativeBackend } from '@flatsparse/backend-native';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { builtinPlugins } from '@flatsparse/plugins';

// Every built-in plugin, unchanged, runs the plugin suite on the native backend, with the options a
// config would give (as on wasm: test/backend-wasm/plugins-conformance.test.ts).

for (const [name, entry] of builtinPlugins) {
  describePluginConformance(name, () => entry.factory(entry.testOptions), { backend: nativeBackend() });
}
