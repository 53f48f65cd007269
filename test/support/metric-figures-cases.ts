// The cases of computeFigures' evaluation order and of metrics sharing a layer's passes, for any backend.
import { computeFigures, type NamedMetric } from '@flatsparse/core';
import { Rng, type MlpCapture, type SparsityMetric } from '@flatsparse/plugin-api';
import { augmentedFlatnessMetric, derivativeSparsityMetric, reluActivation } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const [B, T, d, n] = [2, 3, 4, 8];

/** Two layers' captures with gradients, from seeded normals (dp = relu'(p) da, as backpropagation gives). */
function captures(): MlpCapture[] {
  const rng = new Rng(5);
  return [0, 1].map((index) => {
    const p = tf.tensor3d(rng.fill(B * T * n), [B, T, n]);
    const da = tf.tensor3d(rng.fill(B * T * n), [B, T, n]);
    return {
      block: { index, d, n, keyWeight: `k${index}`, valueWeight: `v${index}` },
      activation: reluActivation,
      training: true,
      x: tf.tensor3d(rng.fill(B * T * d), [B, T, d]),
      p,
      a: tf.relu(p),
      z: tf.tensor3d(rng.fill(B * T * d), [B, T, d]),
      dp: tf.mul(tf.step(p), da),
      da,
      dz: tf.tensor3d(rng.fill(B * T * d), [B, T, d]),
    };
  });
}

const release = (cs: MlpCapture[]) => tf.dispose(cs.flatMap((c) => [c.x, c.p, c.a, c.z, c.dp!, c.da!, c.dz!]));

/** Registers the suite for the active backend (wasm: plain ops; native: the fused passes). */
export function describeMetricFigures(label: string, available: boolean): void {
describe.skipIf(!available)(`computeFigures: evaluation order and shared passes (${label})`, () => {
  it('evaluates the metrics that need gradients first in each layer, and returns the figures in the given order', async () => {
    const calls: string[] = [];
    const metric = (name: string, needsGradients: boolean): NamedMetric => ({
      name,
      metric: { name, needsGradients, compute: (c) => (calls.push(`${name}@${c.block.index}`), { value: tf.scalar(c.block.index) }) } satisfies SparsityMetric,
    });
    const cs = captures();
    const figures = computeFigures([metric('f1', false), metric('g', true), metric('f2', false)], cs);
    expect(calls).toEqual(['g@0', 'f1@0', 'f2@0', 'g@1', 'f1@1', 'f2@1']);
    expect(Object.keys(figures)).toEqual(['f1.value', 'g.value', 'f2.value']);
    expect(Array.from(await figures['g.value']!.data())).toEqual([0, 1]);
    tf.dispose(Object.values(figures));
    // Without gradients the gradient metric is skipped and the order of the rest stays.
    calls.length = 0;
    const forwardOnly = cs.map(({ dp: _dp, da: _da, dz: _dz, ...c }) => c);
    const some = computeFigures([metric('f1', false), metric('g', true), metric('f2', false)], forwardOnly);
    expect(calls).toEqual(['f1@0', 'f2@0', 'f1@1', 'f2@1']);
    expect(Object.keys(some)).toEqual(['f1.value', 'f2.value']);
    tf.dispose(Object.values(some));
    release(cs);
  });

  it('gives derivative sparsity and augmented flatness the same figures together (sharing the counts of p) as alone', async () => {
    const cs = captures();
    const named = (m: SparsityMetric): NamedMetric => ({ name: m.name, metric: m });
    const before = tf.memory().numTensors;
    const together = computeFigures([named(derivativeSparsityMetric()), named(augmentedFlatnessMetric())], cs);
    const alone = { ...computeFigures([named(derivativeSparsityMetric())], cs), ...computeFigures([named(augmentedFlatnessMetric())], cs) };
    expect(Object.keys(together).sort()).toEqual(Object.keys(alone).sort());
    for (const key of Object.keys(alone)) expect(Array.from(await together[key]!.data()), key).toEqual(Array.from(await alone[key]!.data()));
    // density (augmented flatness) is 1 - derivative sparsity for ReLU, whose flat region is where sigma' = 0.
    const [density, sparsity] = await Promise.all([together['augmented-flatness.density']!.data(), together['derivative-sparsity.value']!.data()]);
    for (let i = 0; i < 2; i++) expect(density[i]! + sparsity[i]!).toBeCloseTo(1, 6);
    tf.dispose([...Object.values(together), ...Object.values(alone)]);
    expect(tf.memory().numTensors).toBe(before);
    release(cs);
  });
});
}
