import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { countTensors, type ActivationFunction, type Plugin, type TrainableModel } from '@flatsparse/plugin-api';
import { compareArrays, fakeCaptures, fakeModel, reluForTests, runPluginConformance, type FakeModel } from '@flatsparse/plugin-api/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './support/backend.js';

const state = await useBackend(wasmBackend());
beforeAll(async () => {
  if (state.available) await registerGradients();
});

const read = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data());

/** Plain-JS float64 [rows, k] x [k, cols]. */
function matMul(a: number[], b: number[], rows: number, k: number, cols: number, transposeB = false): number[] {
  return Array.from({ length: rows * cols }, (_, idx) => {
    const i = Math.floor(idx / cols);
    const j = idx % cols;
    let s = 0;
    for (let m = 0; m < k; m++) s += a[i * k + m]! * b[transposeB ? j * k + m : m * cols + j]!;
    return s;
  });
}

const TOL = { atol: 1e-5, rtol: 1e-5 };

describe.skipIf(!state.available)('fakeModel', () => {
  it('has d=4, n=8, two blocks with LayerNorm scale/shift and key/value parameters of the right shapes', () => {
    const before = countTensors();
    const model = fakeModel();
    expect(model.mlpBlocks.map((b) => [b.index, b.d, b.n])).toEqual([[0, 4, 8], [1, 4, 8]]);
    for (const b of model.mlpBlocks) {
      expect(model.params.get(b.lnScale!)!.shape).toEqual([4]);
      expect(model.params.get(b.lnShift!)!.shape).toEqual([4]);
      expect(model.params.get(b.keyWeight)!.shape).toEqual([4, 8]);
      expect(model.params.get(b.keyBias!)!.shape).toEqual([8]);
      expect(model.params.get(b.valueWeight)!.shape).toEqual([8, 4]);
      expect(model.params.get(b.valueBias!)!.shape).toEqual([4]);
    }
    expect(model.params.size).toBe(12);
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it('records addParam, setTrainable and addMlpTransform, rejects bad names, and disposes added parameters', async () => {
    const before = countTensors();
    const model = fakeModel();
    const init = tf.ones([8, 4]);
    const table = model.addParam('blocks.0.zerothBias', init, true);
    init.dispose();
    expect(await read(table)).toEqual(new Array(32).fill(1));
    expect(model.added).toEqual([{ name: 'blocks.0.zerothBias', shape: [8, 4], trainable: true }]);
    const duplicate = tf.zeros([1]);
    expect(() => model.addParam('blocks.0.zerothBias', duplicate)).toThrow(/E_MODEL_CONFIG/);
    duplicate.dispose();
    model.setTrainable('blocks.1.ln2.shift', false);
    expect(model.params.get('blocks.1.ln2.shift')!.trainable).toBe(false);
    expect(model.trainableChanges.get('blocks.1.ln2.shift')).toBe(false);
    expect(() => model.setTrainable('nope', true)).toThrow(/E_MODEL_CONFIG/);
    model.addMlpTransform(1, 'input', (t) => tf.mul(t, 2));
    model.addMlpTransform(1, 'input', (t) => tf.add(t, 1));
    expect(() => model.addMlpTransform(5, 'output', (t) => t)).toThrow(/E_MODEL_CONFIG/);
    const x = tf.ones([1, 2, 4]);
    const y = model.runTransforms(1, 'input', x);
    expect(await read(y)).toEqual(new Array(8).fill(3));
    x.dispose();
    y.dispose();
    model.dispose();
    expect(countTensors()).toBe(before);
  });
});

type Values = Map<string, number[]>;

/**
 * Plain-JS float64 forward of fakeModel (d, n, ReLU) on token ids [B][T]: h0 = sin((v+1)(j+1)) +
 * cos((t+1)(j+1))/2; per block h += V^T relu(K^T LN(h) + b_K) + b_V with x += table[t] in block 0 when
 * `table` is given; returns the logits h, [B * T][d].
 */
function referenceForward(tokens: number[][], p: Values, blocks: number, d: number, n: number, tableName?: string): number[][] {
  const rows = tokens.flatMap((seq) => seq.map((v, t) => ({ t, h: Array.from({ length: d }, (_, j) => Math.sin((v + 1) * (j + 1)) + 0.5 * Math.cos((t + 1) * (j + 1))) })));
  for (let i = 0; i < blocks; i++) {
    const at = (name: string): number[] => p.get(`blocks.${i}.${name}`)!;
    const [scale, shift, k, bk, v, bv] = [at('ln2.scale'), at('ln2.shift'), at('mlp.key.weight'), at('mlp.key.bias'), at('mlp.value.weight'), at('mlp.value.bias')];
    for (const row of rows) {
      const mean = row.h.reduce((a, b) => a + b, 0) / d;
      const variance = row.h.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
      const x = row.h.map((hj, j) => (scale[j]! * (hj - mean)) / Math.sqrt(variance + 1e-5) + shift[j]! + (i === 0 && tableName ? p.get(tableName)![row.t * d + j]! : 0));
      const a = Array.from({ length: n }, (_, c) => Math.max(bk[c]! + x.reduce((s, xj, j) => s + xj * k[j * n + c]!, 0), 0));
      row.h = row.h.map((hj, j) => hj + bv[j]! + a.reduce((s, ac, c) => s + ac * v[c * d + j]!, 0));
    }
  }
  return rows.map((r) => r.h);
}

/** Plain-JS mean softmax cross-entropy with label smoothing s over logits rows. */
function referenceLoss(logits: number[][], targets: number[], s: number): number {
  const per = logits.map((row, r) => {
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
    return -row.reduce((a, z, c) => a + ((c === targets[r] ? 1 - s : 0) + s / row.length) * (z - logZ), 0);
  });
  return per.reduce((a, b) => a + b, 0) / per.length;
}

const readParams = (model: FakeModel): Values => new Map([...model.params].map(([k, v]) => [k, Array.from(v.dataSync())]));

describe.skipIf(!state.available)('fakeModel forward and loss', () => {
  const tokens = [[0, 3, 1], [2, 2, 5]];
  const targets = [1, 0, 3, 2, 2, 0];

  it('matches a plain-JS forward and cross-entropy, and every MLP parameter (and a transform-added table) gets a non-zero gradient that matches finite differences', async () => {
    const before = countTensors();
    const model = fakeModel();
    const init = tf.tidy(() => tf.mul(tf.randomNormal([model.maxTokens, 4], 0, 1, 'float32', 5), 0.2));
    const table = model.addParam('blocks.0.table', init);
    init.dispose();
    model.addMlpTransform(0, 'input', (x, { tokens: t }) => tf.add(x, tf.slice(table, [0, 0], [t, 4])));
    const inputs = tf.tensor2d(tokens, [2, 3], 'int32');
    const targetIds = tf.tensor2d(targets, [2, 3], 'int32');
    const params = readParams(model);
    const logits = referenceForward(tokens, params, 2, 4, 8, 'blocks.0.table');
    const lossOf = (p: Values): number => referenceLoss(referenceForward(tokens, p, 2, 4, 8, 'blocks.0.table'), targets, 0.1);

    const out = tf.tidy(() => model.forward(inputs, { training: true, step: 0 }).output);
    expect(out.shape).toEqual([2, 3, 4]);
    expect(compareArrays(await read(out), logits.flat(), { atol: 1e-4, rtol: 1e-4 }).passed).toBe(true);
    const loss = tf.tidy(() => model.loss(out, targetIds, 0.1));
    const lossValue = (await read(loss))[0]!;
    expect(Number.isFinite(lossValue)).toBe(true);
    expect(lossValue).toBeCloseTo(lossOf(params), 4);

    const names = [...model.mlpBlocks.flatMap((b) => [b.lnScale!, b.lnShift!, b.keyWeight, b.keyBias!, b.valueWeight, b.valueBias!]), 'blocks.0.table'];
    expect([...model.params.keys()].sort()).toEqual([...names].sort());
    const { value, grads } = tf.variableGrads(() => model.loss(model.forward(inputs, { training: true, step: 0 }).output, targetIds, 0.1), [...model.params.values()]);
    for (const name of names) {
      const g = await read(grads[model.params.get(name)!.name]!);
      const at = g.reduce((best, x, i) => (Math.abs(x) > Math.abs(g[best]!) ? i : best), 0);
      expect(Math.abs(g[at]!), name).toBeGreaterThan(1e-4);
      const shifted = (e: number): number => lossOf(new Map([...params, [name, params.get(name)!.map((x, i) => (i === at ? x + e : x))]]));
      const fd = (shifted(1e-6) - shifted(-1e-6)) / 2e-6;
      expect(Math.abs(g[at]! - fd), `${name}[${at}]: ${g[at]} vs ${fd}`).toBeLessThan(1e-3 + 1e-2 * Math.abs(fd));
    }
    tf.dispose([inputs, targetIds, out, loss, value, ...Object.values(grads)]);
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it('gives probe shapes that forward accepts (zero probes leave the output alone), captures per block, and rejects bad inputs', async () => {
    const before = countTensors();
    const model = fakeModel({ d: 4, n: 6, blocks: 3, maxTokens: 3 });
    const features = tf.tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [2, 3, 4]);
    const shapes = model.probeShapes(features);
    expect(shapes).toEqual(new Array(3).fill({ p: [2, 3, 6], a: [2, 3, 6], z: [2, 3, 4] }));
    const [plain, probed, xs] = tf.tidy(() => {
      const probes = shapes.map((s) => ({ p: tf.zeros(s.p), a: tf.zeros(s.a), z: tf.zeros(s.z) }));
      const a = model.forward(features, { training: false, step: 0 });
      const b = model.forward(features, { training: false, step: 0, probes });
      expect(b.captures.map((c) => [c.block.index, c.x.shape, c.p.shape, c.a.shape, c.z.shape, c.training])).toEqual([0, 1, 2].map((i) => [i, [2, 3, 4], [2, 3, 6], [2, 3, 6], [2, 3, 4], false]));
      return [a.output, b.output, b.captures[0]!.p];
    });
    expect(compareArrays(await read(probed), await read(plain), { atol: 0, rtol: 0 }).passed).toBe(true);
    expect((await read(xs)).some((x) => x > 0) && (await read(xs)).some((x) => x < 0)).toBe(true);
    tf.dispose([features, plain, probed, xs]);
    for (const bad of [tf.zeros([2, 4], 'int32'), tf.zeros([2, 3, 5]), tf.zeros([2])]) {
      expect(() => model.forward(bad, { training: true, step: 0 })).toThrow(/E_SHAPE/);
      bad.dispose();
    }
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it("lets a training-method plugin take gradient steps on the conformance harness's batches and pass the plugin suite", async () => {
    const norms: number[] = [];
    const method = (): Plugin => {
      let model: TrainableModel | undefined;
      return {
        name: 'gradient-norm-method',
        version: '0.0.0',
        apiVersion: '*',
        hooks: {
          modelBuilt: ({ model: view }) => void (model = view as TrainableModel),
          beforeForward: ({ step, batch }) => {
            const norm = tf.tidy(() => {
              const { grads } = tf.variableGrads(() => model!.loss(model!.forward(batch.inputs, { training: true, step }).output, batch.targets));
              return tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
            });
            norms.push(norm.dataSync()[0]!);
            norm.dispose();
          },
        },
      };
    };
    const report = await runPluginConformance(method);
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(norms.length).toBeGreaterThan(0);
    expect(norms.every((x) => Number.isFinite(x) && x > 1e-3)).toBe(true);
  });
});

describe.skipIf(!state.available)('fakeCaptures', () => {
  it('gives consistent x, p = xK + b, a = relu(p), z = aV + b, da = dz V^T and dp = relu\'(p) da for B=2, T=3', async () => {
    const before = countTensors();
    const model = fakeModel();
    const fx = fakeCaptures({ model });
    expect(fx.captures).toHaveLength(2);
    for (const c of fx.captures) {
      const b = c.block;
      expect([c.x.shape, c.p.shape, c.a.shape, c.z.shape, c.dz!.shape, c.da!.shape, c.dp!.shape]).toEqual([[2, 3, 4], [2, 3, 8], [2, 3, 8], [2, 3, 4], [2, 3, 4], [2, 3, 8], [2, 3, 8]]);
      const [x, p, a, z, dz, da, dp] = await Promise.all([c.x, c.p, c.a, c.z, c.dz!, c.da!, c.dp!].map(read));
      const [k, bk, v, bv] = await Promise.all([b.keyWeight, b.keyBias!, b.valueWeight, b.valueBias!].map((n) => read(model.params.get(n)!)));
      const pRef = matMul(x!, k!, 6, 4, 8).map((s, i) => s + bk![i % 8]!);
      expect(compareArrays(p!, pRef, TOL).passed).toBe(true);
      expect(compareArrays(a!, p!.map((s) => Math.max(s, 0)), TOL).passed).toBe(true);
      expect(compareArrays(z!, matMul(a!, v!, 6, 8, 4).map((s, i) => s + bv![i % 4]!), TOL).passed).toBe(true);
      const daRef = matMul(dz!, v!, 6, 4, 8, true);
      expect(compareArrays(da!, daRef, TOL).passed).toBe(true);
      expect(compareArrays(dp!, daRef.map((g, i) => (p![i]! > 0 ? g : 0)), TOL).passed).toBe(true);
      expect(a!.some((s) => s === 0) && a!.some((s) => s > 0)).toBe(true);
    }
    expect(fx.forwardCaptures.every((c, i) => c.dp === undefined && c.da === undefined && c.dz === undefined && c.p === fx.captures[i]!.p)).toBe(true);
    fx.dispose();
    model.dispose();
    expect(countTensors()).toBe(before);
  });

  it('uses the given activation for a and its derivative for dp, and leaves nothing behind without a model', async () => {
    const before = countTensors();
    const squared: ActivationFunction = { ...reluForTests, name: 'sq', apply: (x) => tf.square(tf.relu(x)), derivative: (x) => tf.mul(tf.relu(x), 2) };
    const fx = fakeCaptures({ activation: squared, batch: 1, tokens: 2 });
    const c = fx.captures[0]!;
    expect(c.activation.name).toBe('sq');
    const [p, a, da, dp] = await Promise.all([c.p, c.a, c.da!, c.dp!].map(read));
    expect(compareArrays(a!, p!.map((s) => Math.max(s, 0) ** 2), TOL).passed).toBe(true);
    expect(compareArrays(dp!, da!.map((g, i) => 2 * Math.max(p![i]!, 0) * g), TOL).passed).toBe(true);
    fx.dispose();
    expect(countTensors()).toBe(before);
  });
});
