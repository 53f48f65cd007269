import type { Plugin } from '@flatsparse/plugin-api';
import { builtinPlugins, jSquaredReLU, restrictedLayerNorm, sparsified, sparsifiedFinetune, zerothBias } from '@flatsparse/plugins';

/**
 * Every plugin the WebGPU suites run: each built-in of the catalog (the three methods with their
 * defaults included), the methods with the non-default options ablations and fine-tuning use, and
 * every plugin of the two presets as the presets configure it.
 */
export function pluginCases(): [label: string, factory: () => Plugin][] {
  const cases: [string, () => Plugin][] = [...builtinPlugins].map(([name, entry]) => [name, () => entry.factory(entry.testOptions)]);
  cases.push(
    ["zeroth-bias { placement: 'output', c: 0.5, weightDecay: 0.1 }", () => zerothBias({ placement: 'output', c: 0.5, weightDecay: 0.1 })],
    ['restricted-layer-norm { bound: 2 }', () => restrictedLayerNorm({ bound: 2 })],
    ["restricted-layer-norm { mode: 'finetune', rampSteps: 2 }", () => restrictedLayerNorm({ mode: 'finetune', rampSteps: 2 })],
    ['j-squared-relu { bounded: true }', () => jSquaredReLU({ bounded: true })],
    ['j-squared-relu { mix: { steps: 10 } }', () => jSquaredReLU({ mix: { steps: 10 } })],
  );
  for (const [preset, plugins] of [['sparsified', sparsified], ['sparsifiedFinetune', sparsifiedFinetune]] as const) {
    plugins().forEach((plugin, i) => cases.push([`${preset}()[${i}] ${plugin.name}`, () => plugins()[i]!]));
  }
  return cases;
}
