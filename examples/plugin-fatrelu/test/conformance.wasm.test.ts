import { wasmBackend } from '@flatsparse/backend-wasm';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import fatrelu from '../src/index.js';

// The plugin suite every flatsparse plugin runs (@flatsparse/plugin-api/testing): validation, hook order,
// error attribution, no tensor leaks over a run, and the activation check (apply against the float64
// reference, derivative against central differences of apply, derivative 0 in the flat region).
for (const threshold of [0.1, 0.5]) {
  describePluginConformance(`flatsparse-plugin-fatrelu (threshold ${threshold}) on wasm`, () => fatrelu({ threshold }), { backend: wasmBackend() });
}
