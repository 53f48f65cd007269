import { wasmBackend } from '@flatsparse/backend-wasm';
import { type ActivationFunction, type MlpCapture } from '@flatsparse/plugin-api';
import { PluginHost } from '@flatsparse/plugin-api/host';
import { fakeModel } from '@flatsparse/plugin-api/testing';
import {
  activationRatioMetric,
  activationRatioOf,
  activeSlopeOf,
  jSquaredReLUActivation,
  layerNormScale,
  layerNormScaleOf,
  reluActivation,
  zerothBias,
  zerothBiasName,
  zerothBiasStatsOf,
} from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

// The diagnostic metrics (#13) against plain-JS arithmetic on hand-made parameters and captures.
const state = await useBackend(wasmBackend());

const read = async (t: tf.Tensor): Promise<number> => (await t.data())[0]!;
const f32 = (xs: number[]): number[] => xs.map((x) => Math.fround(x));

function capture(activation: ActivationFunction, p: number[], a: number[], shape: [number, number, number]): MlpCapture {
  return {
    block: { index: 0, d: 2, n: shape[2], keyWeight: 'k', valueWeight: 'v', lnScale: 'blocks.0.ln2.scale' },
    activation,
    training: true,
    context: { step: 0, training: true },
    x: tf.zeros([shape[0], shape[1], 2]),
    p: tf.tensor3d(p, shape),
    a: tf.tensor3d(a, shape),
    z: tf.zeros([shape[0], shape[1], 2]),
  } as MlpCapture;
}

describe.skipIf(!state.available)('diagnostic metrics', () => {
  it('layer-norm scale: mean, min and the fraction at the bound, as plain arithmetic', async () => {
    const gamma = f32([1, 1, 0.5, 2, 1 + 5e-7, 0.999, 1 - 2e-6, 3]);
    const { mean, min, atBound } = layerNormScaleOf(tf.tensor1d(gamma), 1, 1e-6);
    expect(await read(mean)).toBeCloseTo(gamma.reduce((s, g) => s + g, 0) / gamma.length, 6);
    expect(await read(min)).toBe(Math.fround(0.5));
    const at = gamma.filter((g) => Math.abs(Math.fround(g - 1)) <= 1e-6).length;
    expect(at).toBe(3);
    expect(await read(atBound)).toBeCloseTo(at / gamma.length, 7);
    const two = layerNormScaleOf(tf.tensor1d(gamma), 2);
    expect(await read(two.atBound)).toBeCloseTo(1 / 8, 7);
  });

  it("layer-norm scale through its plugin reads the model's MLP LayerNorm of each block", async () => {
    const model = fakeModel({ blocks: 2 });
    const plugin = layerNormScale();
    const host = await PluginHost.create([plugin]);
    try {
      await host.emit('modelBuilt', { step: 0, model });
      const metric = host.contributions.metrics.get('layer-norm-scale').value;
      for (const block of model.mlpBlocks) {
        const gamma = Array.from(await model.params.get(block.lnScale!)!.data());
        const figures = tf.tidy(() => metric.compute({ ...capture(reluActivation, [0], [0], [1, 1, 1]), block }));
        expect(await read(figures['min']!)).toBe(Math.min(...gamma));
        expect(await read(figures['mean']!)).toBeCloseTo(gamma.reduce((s, g) => s + g, 0) / gamma.length, 5);
        tf.dispose(Object.values(figures));
      }
    } finally {
      await host.dispose();
      model.dispose();
    }
  });

  it('zeroth biases: mean |b| and the fraction held at the clip bound c |gamma|', async () => {
    const table = tf.tensor2d(f32([0.1, -0.05, -0.1, 0.2, 0, -0.2]), [3, 2]);
    const gamma = tf.tensor1d([1, 2]);
    const { meanAbs, atBound } = zerothBiasStatsOf(table, gamma, 0.1);
    expect(await read(meanAbs)).toBeCloseTo((0.1 + 0.05 + 0.1 + 0.2 + 0 + 0.2) / 6, 6);
    // bounds per column [0.1, 0.2]: 0.1 yes, 0.05 no, 0.1 yes, 0.2 yes, 0 no, 0.2 yes
    expect(await read(atBound)).toBeCloseTo(4 / 6, 6);
    tf.dispose([table, gamma]);
  });

  it("the zeroth-bias plugin's metric reads its own tables", async () => {
    const model = fakeModel({ blocks: 1 });
    const host = await PluginHost.create([zerothBias({ c: 0.5 })]);
    try {
      await host.emit('modelBuilt', { step: 0, model });
      const name = zerothBiasName(0);
      const shape = model.params.get(name)!.shape as [number, number];
      const values = Array.from({ length: shape[0] * shape[1] }, (_, i) => Math.fround(((i % 5) - 2) / 10));
      model.params.get(name)!.assign(tf.tensor2d(values, shape));
      const gamma = Array.from(await model.params.get(model.mlpBlocks[0]!.lnScale!)!.data());
      const metric = host.contributions.metrics.get('zeroth-bias').value;
      const figures = tf.tidy(() => metric.compute({ ...capture(reluActivation, [0], [0], [1, 1, 1]), block: model.mlpBlocks[0]! }));
      expect(await read(figures['meanAbs']!)).toBeCloseTo(values.reduce((s, v) => s + Math.abs(v), 0) / values.length, 6);
      const at = values.filter((v, i) => Math.abs(v) >= 0.5 * Math.abs(gamma[i % shape[1]]!) * (1 - 1e-5)).length;
      expect(await read(figures['atBound']!)).toBeCloseTo(at / values.length, 6);
      tf.dispose(Object.values(figures));
    } finally {
      await host.dispose();
      model.dispose();
    }
  });

  it("active slope: mean p and mean sigma'(p) over the active entries (J-SquaredReLU: 1 + p)", async () => {
    const p = f32([-1, 0, 0.5, 2, -0.25, 0.1]);
    const jsrelu = jSquaredReLUActivation();
    const c = capture(jsrelu, p, p, [1, 2, 3]);
    const { meanPre, meanSlope } = tf.tidy(() => activeSlopeOf(c));
    const active = p.filter((v) => v >= 0); // J-SquaredReLU is flat on (-inf, 0) only
    expect(await read(meanPre)).toBeCloseTo(active.reduce((s, v) => s + v, 0) / active.length, 6);
    expect(await read(meanSlope)).toBeCloseTo(active.reduce((s, v) => s + 1 + v, 0) / active.length, 6);
    const onRelu = tf.tidy(() => activeSlopeOf(capture(reluActivation, p, p, [1, 2, 3])));
    expect(await read(onRelu.meanSlope)).toBe(1); // relu: the slope of every active entry is 1 (p > 0)
    tf.dispose([c.x, c.p, c.a, c.z]);
  });

  it("activation ratio: the authors' fraction of exactly non-zero activations", async () => {
    const a = f32([0, 1e-9, -2, 0, 3, 0, 1e-30, 0]);
    expect(await read(tf.tidy(() => activationRatioOf(tf.tensor1d(a))))).toBe(4 / 8);
    const c = capture(reluActivation, a, a, [2, 2, 2]);
    const figures = tf.tidy(() => activationRatioMetric().compute(c));
    expect(await read(figures['value']!)).toBe(0.5);
    tf.dispose([...Object.values(figures), c.x, c.p, c.a, c.z]);
  });
});
