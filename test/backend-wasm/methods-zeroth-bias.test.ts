import { wasmBackend } from '@flatsparse/backend-wasm';
import { AdamW, createGpt, registerGradients, createVit } from '@flatsparse/core';
import { Rng, ShapeError, type ForwardResult, type ModelView, type TrainableModel } from '@flatsparse/plugin-api';
import { PluginHost, PluginInvalidError } from '@flatsparse/plugin-api/host';
import { fakeModel } from '@flatsparse/plugin-api/testing';
import { addZerothBiases, clipZerothBias, relu, reluActivation, zerothBias, zerothBiasName, zerothBiasRegularizer } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { recorder, shortRun } from './methods-fixtures.js';

const state = await useBackend(wasmBackend());

const F = Math.fround;
const VIT = { imageSize: [8, 8] as [number, number], channels: 1, classes: 3, patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 };
const GPT = { vocab: 12, seqLen: 8, d: 16, depth: 2, heads: 2, mlpWidth: 32 };

async function read(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Runs the plugin's 'modelBuilt' hook on a model through a real PluginHost. */
async function build(model: ModelView, options?: Parameters<typeof zerothBias>[0]): Promise<void> {
  const host = await PluginHost.create([zerothBias(options)]);
  await host.emit('modelBuilt', { step: 0, model });
  await host.dispose();
}

function normal(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(rng.fill(shape.reduce((a, b) => a * b, 1), (r) => r.normal()), shape);
}

/** Forward of block 0's capture and the output, read back. */
async function forward(model: TrainableModel, inputs: tf.Tensor): Promise<{ x: number[]; p: number[]; z: number[]; out: number[] }> {
  const result = tf.tidy(() => {
    const r: ForwardResult = model.forward(inputs, { training: false, step: 0 });
    const c = r.captures[0]!;
    return [tf.clone(c.x), tf.clone(c.p), tf.clone(c.z), tf.clone(r.output)];
  });
  const [x, p, z, out] = await Promise.all(result.map(read));
  result.forEach((t) => t.dispose());
  return { x: x!, p: p!, z: z!, out: out! };
}

/** Expects a - b == rows [0, T) of the table broadcast over the batch (float32 rounding of the add). */
function expectDifferenceIsTable(a: number[], b: number[], table: number[], tokens: number, d: number): void {
  for (let i = 0; i < a.length; i++) {
    const t = Math.floor(i / d) % tokens;
    const want = table[t * d + (i % d)]!;
    expect(Math.abs(a[i]! - b[i]! - want), `entry ${i} (token ${t})`).toBeLessThan(1e-5 * Math.max(1, Math.abs(b[i]!)));
  }
}

describe.skipIf(!state.available)('zeroth biases (M1) on wasm', () => {
  let before = 0;
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  it('adds one zero-initialised [maxTokens, d] table per block; a zero table changes nothing', async () => {
    const plain = createVit(VIT, { activation: reluActivation, seed: 2 });
    const model = createVit(VIT, { activation: reluActivation, seed: 2 });
    await build(model);
    for (const b of model.mlpBlocks) {
      const table = model.params.get(zerothBiasName(b.index))!;
      expect(table.shape).toEqual([model.maxTokens, 16]);
      expect(model.maxTokens).toBe(5);
      expect(table.trainable).toBe(true);
      expect((await read(table)).every((v) => v === 0)).toBe(true);
    }
    expect([...model.params.keys()].filter((k) => !plain.params.has(k))).toEqual(['blocks.0.mlp.zeroth_bias', 'blocks.1.mlp.zeroth_bias']);
    const images = normal([2, 8, 8, 1], 1);
    expect((await forward(model, images)).out).toEqual((await forward(plain, images)).out);
    images.dispose();
    plain.dispose();
    model.dispose();
  });

  it("'input' placement adds row t to x_t (and so changes p); 'output' changes z but not x", async () => {
    const plain = createVit(VIT, { activation: reluActivation, seed: 2 });
    const input = createVit(VIT, { activation: reluActivation, seed: 2 });
    const output = createVit(VIT, { activation: reluActivation, seed: 2 });
    await build(input);
    await build(output, { placement: 'output' });
    const values = normal([5, 16], 9);
    const table = await read(values);
    input.params.get(zerothBiasName(0))!.assign(values);
    output.params.get(zerothBiasName(0))!.assign(values);
    const images = normal([3, 8, 8, 1], 4);
    const [a, i, o] = [await forward(plain, images), await forward(input, images), await forward(output, images)];
    expectDifferenceIsTable(i.x, a.x, table, 5, 16);
    expect(Math.max(...i.p.map((v, k) => Math.abs(v - a.p[k]!)))).toBeGreaterThan(1e-3);
    expect(o.x).toEqual(a.x);
    expect(o.p).toEqual(a.p);
    expectDifferenceIsTable(o.z, a.z, table, 5, 16);
    for (const t of [values, images]) t.dispose();
    for (const m of [plain, input, output]) m.dispose();
  });

  it('a GPT fed T < seqLen tokens uses the first T rows; longer sequences fail with a clear error', async () => {
    const plain = createGpt(GPT, { activation: reluActivation, seed: 6 });
    const model = createGpt(GPT, { activation: reluActivation, seed: 6 });
    await build(model);
    const values = normal([8, 16], 3);
    const table = await read(values);
    model.params.get(zerothBiasName(0))!.assign(values);
    const ids = tf.tensor2d([[1, 5, 3, 11, 0], [2, 2, 7, 4, 9]], [2, 5], 'int32');
    expectDifferenceIsTable((await forward(model, ids)).x, (await forward(plain, ids)).x, table.slice(0, 5 * 16), 5, 16);
    // In training only those rows get a gradient (through tf.slice).
    await registerGradients();
    const grad = tf.tidy(() => {
      const variable = model.params.get(zerothBiasName(0))!;
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(ids, { training: true, step: 0 }).output)) as tf.Scalar, [variable]);
      return tf.clone(grads[variable.name]!);
    });
    const g = await read(grad);
    grad.dispose();
    expect(g).toHaveLength(8 * 16);
    expect(g.slice(0, 5 * 16).filter((v) => v !== 0).length).toBeGreaterThan(60);
    expect(g.slice(5 * 16).every((v) => v === 0)).toBe(true);
    const long = tf.zeros([1, 9], 'int32');
    expect(() => tf.tidy(() => void model.forward(long, { training: false, step: 0 }))).toThrow(/longer than maxTokens/);
    // The table's own check, on a model that would accept longer inputs.
    const fake = fakeModel({ maxTokens: 4, d: 4 });
    addZerothBiases(fake);
    const x = tf.zeros([1, 6, 4]);
    let caught: unknown;
    try {
      fake.runTransforms(0, 'input', x, { tokens: 6, step: 0, training: true }).dispose();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ShapeError);
    expect((caught as Error).message).toMatch(/6 tokens.*zeroth-bias table 'blocks\.0\.mlp\.zeroth_bias' has 4 rows/);
    for (const t of [values, ids, long, x]) t.dispose();
    for (const m of [plain, model, fake]) m.dispose();
  });

  it('the projection clips to c |gamma_j| (gamma of any sign), or to c without a LayerNorm scale', async () => {
    const fake = fakeModel({ d: 4, maxTokens: 6 });
    addZerothBiases(fake);
    const b = normal([6, 4], 12);
    const raw = (await read(b)).map((v) => F(F(0.3) * v)); // the device product, in float32
    tf.tidy(() => fake.params.get(zerothBiasName(1))!.assign(tf.mul(b, 0.3)));
    const scale = tf.tensor1d([-0.5, 1.2, 0.03, -2]);
    fake.params.get('blocks.1.ln2.scale')!.assign(scale);
    scale.dispose();
    const gamma = await read(fake.params.get('blocks.1.ln2.scale')!);
    tf.tidy(() => zerothBiasRegularizer({ c: 0.25 }).project!(fake, 0));
    const clipped = await read(fake.params.get(zerothBiasName(1))!);
    const bound = (j: number): number => F(F(0.25) * Math.abs(gamma[j]!));
    const want = raw.map((v, i) => Math.min(Math.max(F(v), -bound(i % 4)), bound(i % 4)));
    expect(clipped).toEqual(want);
    expect(want.some((v, i) => Math.abs(v) === bound(i % 4))).toBe(true);
    // Without a LayerNorm scale the bound is c itself.
    const { lnScale: _, ...noScale } = fake.mlpBlocks[1]!;
    const view: ModelView = { ...fake, mlpBlocks: [fake.mlpBlocks[0]!, noScale] };
    tf.tidy(() => fake.params.get(zerothBiasName(1))!.assign(tf.mul(b, 0.3)));
    tf.tidy(() => zerothBiasRegularizer({ c: 0.25 }).project!(view, 0));
    expect(await read(fake.params.get(zerothBiasName(1))!)).toEqual(raw.map((v) => Math.min(Math.max(F(v), -0.25), 0.25)));
    const direct = tf.tidy(() => clipZerothBias(tf.tensor2d([[-1, 0.01], [0.3, -0.02]]), tf.tensor1d([-0.5, 2]), 0.1));
    expect(await read(direct)).toEqual([F(-0.05), F(0.01), F(0.05), F(-0.02)]);
    for (const t of [b, direct]) t.dispose();
    fake.dispose();
  });

  it("weightDecay sets the tables' optimiser options (default: none set, so the optimiser's rule applies); options are validated", async () => {
    const fake = fakeModel();
    addZerothBiases(fake, { weightDecay: 0.05 });
    expect(fake.paramOptions(zerothBiasName(0))).toEqual({ weightDecay: 0.05 });
    const other = fakeModel();
    addZerothBiases(other);
    expect(other.paramOptions(zerothBiasName(1))).toBeUndefined();
    // The optimiser's default rule exempts them by name; 'all' decays them (as the authors' ImageNet runs).
    expect(new AdamW({ weightDecay: 0.3 }).groupOf(zerothBiasName(1), [8, 4]).weightDecay).toBe(0);
    expect(new AdamW({ weightDecay: 0.3, decay: 'all' }).groupOf(zerothBiasName(1), [8, 4]).weightDecay).toBe(0.3);
    for (const bad of [{ c: 0 }, { c: -1 }, { placement: 'middle' }, { weightDecay: -0.1 }, { clip: 0.1 }]) {
      expect(() => zerothBias(bad as never), JSON.stringify(bad)).toThrow(PluginInvalidError);
    }
    fake.dispose();
    other.dispose();
  });

  it('|b| <= c |gamma| after every step of a ViT run with a large learning rate, with entries at the bound', async () => {
    const rec = recorder((name) => /ln2\.scale|zeroth_bias/.test(name));
    const records = await shortRun({ plugins: [zerothBias(), relu(), rec.plugin], activation: 'relu', lr: 0.1, steps: 5 });
    expect(records.filter((r) => r.split === 'train')).toHaveLength(5);
    const { steps, initial } = await rec.read();
    expect(initial.get(zerothBiasName(0))!.every((v) => v === 0)).toBe(true);
    expect(steps).toHaveLength(5);
    let atBound = 0;
    let nonzero = 0;
    steps.forEach((snapshot, step) => {
      for (const block of [0, 1]) {
        const gamma = snapshot.get(`blocks.${block}.ln2.scale`)!;
        const table = snapshot.get(zerothBiasName(block))!;
        expect(table).toHaveLength(5 * 16);
        table.forEach((v, i) => {
          const bound = F(F(0.1) * Math.abs(gamma[i % 16]!));
          expect(Math.abs(v), `step ${step} block ${block} entry ${i}`).toBeLessThanOrEqual(bound);
          if (Math.abs(v) === bound) atBound++;
          if (v !== 0) nonzero++;
        });
      }
    });
    expect(nonzero).toBeGreaterThan(100); // the tables trained
    expect(atBound).toBeGreaterThan(50); // and the projection bit
  });
});

