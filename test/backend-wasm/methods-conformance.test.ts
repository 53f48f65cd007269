import { wasmBackend } from '@flatsparse/backend-wasm';
import type { Plugin } from '@flatsparse/plugin-api';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import { jSquaredReLU, restrictedLayerNorm, sparsified, sparsifiedFinetune, zerothBias } from '@flatsparse/plugins';

// The paper's methods run the core plugin suite (validation, hook order, error attribution, leaks over
// a run, and a check of each contributed activation and regularizer) with their defaults and with the
// non-default options an ablation or a fine-tuning run would use. The catalog entries (defaults) also
// run in plugins-conformance.test.ts.
const cases: readonly [string, () => Plugin][] = [
  ['zeroth-bias', () => zerothBias()],
  ["zeroth-bias { placement: 'output', c: 0.5, weightDecay: 0.1 }", () => zerothBias({ placement: 'output', c: 0.5, weightDecay: 0.1 })],
  ['restricted-layer-norm', () => restrictedLayerNorm()],
  ['restricted-layer-norm { bound: 2 }', () => restrictedLayerNorm({ bound: 2 })],
  ["restricted-layer-norm { mode: 'finetune', rampSteps: 2 }", () => restrictedLayerNorm({ mode: 'finetune', rampSteps: 2 })],
  ['j-squared-relu', () => jSquaredReLU()],
  ['j-squared-relu { bounded: true }', () => jSquaredReLU({ bounded: true })],
  ['j-squared-relu { mix: { steps: 10 } }', () => jSquaredReLU({ mix: { steps: 10 } })],
  ['j-squared-relu { mix: true, bounded: true }', () => jSquaredReLU({ mix: true, bounded: true })],
];

for (const [label, factory] of cases) describePluginConformance(label, factory, { backend: wasmBackend() });

// Each plugin of the presets, as the presets configure it.
for (const [preset, plugins] of [['sparsified', sparsified], ['sparsifiedFinetune', sparsifiedFinetune]] as const) {
  plugins().forEach((plugin, i) => describePluginConformance(`${preset}()[${i}] ${plugin.name}`, () => plugins()[i]!, { backend: wasmBackend() }));
}
