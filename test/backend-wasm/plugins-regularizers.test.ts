import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng, type LossTermInput, type MlpCapture, type ModelView } from '@flatsparse/plugin-api';
import { PluginHost, validatePlugin } from '@flatsparse/plugin-api/host';
import { l1Activation, l1ActivationLoss, l1ActivationRegularizer, reluActivation, type L1ActivationOptions } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
// tfjs-core registers no gradients by itself; the trainer loads them lazily, tests load them here.
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

// The loss term reads only `captures`; the model is a stub.
const model = {} as ModelView;

/** Activations of three blocks with different widths (values float32-rounded). */
function blocks(seed: number): { shape: [number, number, number]; values: number[] }[] {
  const rng = new Rng(seed);
  return [
    [2, 3, 8],
    [2, 3, 5],
    [2, 3, 12],
  ].map(([B, T, n]) => ({ shape: [B!, T!, n!], values: [...rng.fill(B! * T! * n!, (r) => Math.max(r.normal(), 0) * 2 - 0.1)] }));
}

function captures(spec: ReturnType<typeof blocks>, as: readonly tf.Tensor[]): MlpCapture[] {
  return spec.map(({ shape }, i) => ({
    block: { index: i, d: 2, n: shape[2], keyWeight: 'k', valueWeight: 'v' },
    activation: reluActivation,
    training: true,
    x: as[i]!,
    p: as[i]!,
    a: as[i]!,
    z: as[i]!,
  }));
}

/** Float64 reference: mean over blocks of mean |a|. */
function referenceLoss(spec: ReturnType<typeof blocks>): number {
  const perBlock = spec.map(({ values }) => values.reduce((s, v) => s + Math.abs(v), 0) / values.length);
  return perBlock.reduce((s, v) => s + v, 0) / perBlock.length;
}

describe.skipIf(!state.available)('plugins: l1Activation (wasm)', () => {
  it('is a valid plugin contributing the regularizer l1Activation', () => {
    const regs = validatePlugin(l1Activation({ weight: 1e-3 })).contributes?.regularizers;
    expect(regs?.map((r) => r.name)).toEqual(['l1-activation']);
  });

  it('the loss is mean |a| over all entries, averaged over blocks', async () => {
    const spec = blocks(31);
    const as = spec.map(({ shape, values }) => tf.tensor3d(values, shape));
    const before = tf.memory().numTensors;
    const loss = l1ActivationLoss({ step: 0, model, captures: captures(spec, as) });
    expect(loss.rank).toBe(0);
    expect(Math.abs((await loss.data())[0]! - referenceLoss(spec))).toBeLessThan(1e-6);
    loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(as);
  });

  it('is 0 without blocks, and its gradient is sign(a) / (numel * blocks)', async () => {
    const empty = l1ActivationLoss({ step: 0, model, captures: [] });
    expect((await empty.data())[0]).toBe(0);
    empty.dispose();
    const spec = blocks(32);
    const as = spec.map(({ shape, values }) => tf.tensor3d(values, shape));
    const grads = tf.grads((...xs: tf.Tensor[]) => l1ActivationLoss({ step: 0, model, captures: captures(spec, xs) }))(as);
    for (const [i, g] of grads.entries()) {
      const values = spec[i]!.values;
      const data = await g.data();
      values.forEach((v, k) => expect(data[k]).toBeCloseTo(Math.sign(v) / (values.length * spec.length), 7));
    }
    tf.dispose([...as, ...grads]);
  });

  it('the plugin host weights the term by the schedule (constant, linear, prosparse)', async () => {
    const spec = blocks(33);
    const loss = referenceLoss(spec);
    const cases: readonly { options: L1ActivationOptions; at: readonly (readonly [number, number])[] }[] = [
      { options: { weight: 0.2 }, at: [[0, 0.2], [1000, 0.2]] },
      { options: { weight: 0.2, schedule: { kind: 'linear', steps: 100 } }, at: [[0, 0], [25, 0.05], [100, 0.2], [500, 0.2]] },
      {
        options: { weight: 2, schedule: { kind: 'prosparse', stages: [{ steps: 60, value: 0.5 }, { steps: 40, value: 1 }] } },
        at: [[0, 0], [30, 2 * 0.5 * Math.SQRT1_2], [60, 1], [80, 2 * (0.5 + 0.5 * Math.SQRT1_2)], [100, 2], [900, 2]],
      },
    ];
    for (const { options, at } of cases) {
      const host = await PluginHost.create([l1Activation(options)]);
      const as = spec.map(({ shape, values }) => tf.tensor3d(values, shape));
      const before = tf.memory().numTensors;
      for (const [step, weight] of at) {
        const input: LossTermInput = { step, model, captures: captures(spec, as) };
        // The trainer calls the host inside the gradient tape's scope; tf.tidy plays that role here.
        const result = tf.tidy(() => host.computeLossTerms(input)!.total);
        const total = (await result.data())[0]!;
        expect(Math.abs(total - weight * loss), `${options.schedule?.kind ?? 'constant'} at step ${step}`).toBeLessThan(1e-6 * (1 + weight));
        result.dispose();
        // The raw weight schedule is exposed on the regularizer as well.
        expect(l1ActivationRegularizer(options).weight!(step)).toBeCloseTo(weight, 12);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(as);
      await host.dispose();
    }
  });
});
