import { loadAddon, nativeBackend, NATIVE_TFJS_NAME } from '@flatsparse/backend-native';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { layerNorm, linear, registerGradients, selfAttention, softmaxCrossEntropy } from '@flatsparse/core';
import { FusedKernel, hasFusedKernel, Rng } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

// The native kernels on tensors large enough to be split across threads (the conformance suite uses
// small ones), against float64 arithmetic in plain JS or against tfjs-backend-wasm's kernels (the same
// tensors, moved by tfjs between the two backends' heaps). Element-wise results must equal wasm's bit for bit (the same
// IEEE operations), except exp (a polynomial, within 2 ulp); sums accumulate in double, so they are
// compared with float64 sums.

const native = nativeBackend();
const availability = await safeAvailability(native);
if (!availability.available) console.warn(`[skip] backend 'native' is not available: ${availability.reason} Fix: ${availability.fix}`);

const rng = new Rng(11);
const randn = (shape: number[], scale = 1): tf.Tensor => tf.tensor(rng.fill(shape.reduce((a, b) => a * b, 1), (r) => scale * r.normal()), shape);

/** f's outputs on wasm, then on native (inputs made before move to each), read back. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ wasm: Float32Array[]; native: Float32Array[] }> {
  const run = async (name: string): Promise<Float32Array[]> => {
    await tf.setBackend(name);
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(list);
    return values;
  };
  return { wasm: await run('wasm'), native: await run(NATIVE_TFJS_NAME) };
}

/** Largest |a - b| relative to max |b|, with NaN matching NaN only. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i]!)) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    } else if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) return Infinity;
    } else worst = Math.max(worst, Math.abs(x - y));
  }
  return worst / (scale || 1);
}

describe.skipIf(!availability.available)('native kernels on large tensors', () => {
  beforeAll(async () => {
    await wasmBackend().init();
    await native.init();
    await registerGradients();
  });

  it('registers every fused kernel of @flatsparse/core on the native backend', async () => {
    await tf.setBackend(NATIVE_TFJS_NAME);
    for (const name of Object.values(FusedKernel)) expect(hasFusedKernel(name), name).toBe(true);
    await tf.setBackend('wasm');
    for (const name of Object.values(FusedKernel)) expect(hasFusedKernel(name), name).toBe(false);
  });

  it.each([
    ['same shape', [64, 50, 256], [64, 50, 256]],
    ['scalar b', [64, 50, 256], []],
    ['scalar a', [1], [64, 50, 256]],
    ['row b', [3200, 256], [256]],
    ['row a', [1, 1, 256], [64, 50, 256]],
    ['one value per row of b (keepDims)', [64, 50, 256], [64, 50, 1]],
    ['one value per row of a', [3200, 1], [3200, 256]],
    ['other broadcast (wasm kernel)', [64, 50, 256], [64, 1, 256]],
  ])('add, sub, mul, div (%s) equal wasm bit for bit', async (_label, aShape, bShape) => {
    const a = randn(aShape as number[]);
    const b = tf.tidy(() => tf.add(tf.abs(randn(bShape as number[])), 0.5));
    const { wasm, native: got } = await onBoth(() => [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b)]);
    got.forEach((g, i) => expect(Buffer.from(g.buffer).equals(Buffer.from(wasm[i]!.buffer)), `op ${i}`).toBe(true));
    tf.dispose([a, b]);
  });

  it('unary kernels equal wasm bit for bit (exp within 2 ulp), NaN and infinities included', async () => {
    const values = rng.fill(200_000, (r) => 4 * r.normal());
    values.set([Number.NaN, Infinity, -Infinity, 0, -0, 88.5, -87.5, 100, -100, 1e-40], 0);
    const x = tf.tensor(values);
    const { wasm, native: got } = await onBoth(() => [tf.step(x), tf.step(x, 0.25), tf.abs(x), tf.relu(x), tf.square(x), tf.neg(x), tf.sqrt(x)]);
    got.forEach((g, i) => expect(relDiff(g, wasm[i]!), `op ${i}`).toBe(0));
    const exp = await onBoth(() => tf.exp(x));
    const e = exp.native[0]!;
    const w = exp.wasm[0]!;
    let ulps = 0;
    for (let i = 0; i < e.length; i++) {
      if (Number.isNaN(w[i]!)) expect(Number.isNaN(e[i]!)).toBe(true);
      else if (w[i] === 0 || !Number.isFinite(w[i]!)) expect(e[i]).toBe(w[i]);
      else ulps = Math.max(ulps, Math.abs(e[i]! - w[i]!) / (Math.abs(w[i]!) * 2 ** -23));
    }
    expect(ulps).toBeLessThanOrEqual(2);
    x.dispose();
  });

  it('sum, mean and max over inner, outer and all axes match float64 (max exactly, NaN propagated)', async () => {
    const shape = [64, 50, 256];
    const data = rng.fill(64 * 50 * 256, (r) => r.normal() + 0.1);
    const x = tf.tensor(data, shape);
    const cases: [string, () => tf.Tensor, (i: number) => number[]][] = [
      ['sum all', () => tf.sum(x), () => [...data.keys()]],
      ['sum axis -1', () => tf.sum(x, -1), (o) => Array.from({ length: 256 }, (_, j) => o * 256 + j)],
      ['mean axes [0, 1] keepDims', () => tf.mean(x, [0, 1], true), (o) => Array.from({ length: 3200 }, (_, r) => r * 256 + o)],
    ];
    await tf.setBackend(NATIVE_TFJS_NAME);
    for (const [label, f, members] of cases) {
      const got = await f().data();
      for (const i of new Set([0, Math.min(1, got.length - 1), got.length - 1])) {
        const idx = members(i);
        const total = idx.reduce((s, k) => s + data[k]!, 0);
        const want = label.startsWith('mean') ? total / idx.length : total;
        const magnitude = idx.reduce((s, k) => s + Math.abs(data[k]!), 0) / (label.startsWith('mean') ? idx.length : 1);
        expect(Math.abs(got[i]! - want), `${label} [${i}]`).toBeLessThanOrEqual(1e-6 * magnitude + 1e-7);
      }
    }
    const { wasm, native: got } = await onBoth(() => [tf.max(x, -1), tf.max(x, 0), tf.max(x)]);
    got.forEach((g, i) => expect(relDiff(g, wasm[i]!)).toBe(0));
    const withNan = tf.tensor(Float32Array.from(data).fill(Number.NaN, 1000, 1001), shape);
    await tf.setBackend(NATIVE_TFJS_NAME);
    expect(Number.isNaN((await tf.max(withNan).data())[0]!)).toBe(true);
    tf.dispose([x, withNan]);
  });

  it.each([
    ['[300,64] x [64,130]', [300, 64], [64, 130], false, false],
    ['transposeA [64,300]^T x [64,130]', [64, 300], [64, 130], true, false],
    ['transposeB [300,64] x [130,64]^T', [300, 64], [130, 64], false, true],
    ['wide [40,256] x [256,600]', [40, 256], [256, 600], false, false],
    ['batched [6,50,16] x [6,16,50]', [6, 50, 16], [6, 16, 50], false, false],
    ['broadcast batch [6,120,64] x [64,70]', [6, 120, 64], [64, 70], false, false],
  ])('matMul %s matches float64', async (_label, aShape, bShape, ta, tb) => {
    const a = randn(aShape as number[]);
    const b = randn(bShape as number[]);
    await tf.setBackend(NATIVE_TFJS_NAME);
    const got = await tf.matMul(a, b, ta as boolean, tb as boolean).data();
    const [A, B] = [a.dataSync(), b.dataSync()];
    const as = aShape as number[];
    const bs = bShape as number[];
    const m = ta ? as.at(-1)! : as.at(-2)!;
    const k = ta ? as.at(-2)! : as.at(-1)!;
    const n = tb ? bs.at(-2)! : bs.at(-1)!;
    const batches = got.length / (m * n);
    const aBatch = as.length > 2 ? m * k : 0;
    const bBatch = bs.length > 2 ? k * n : 0;
    let worst = 0;
    for (let t = 0; t < batches; t++) {
      for (const [i, j] of [[0, 0], [m - 1, n - 1], [Math.floor(m / 2), Math.floor(n / 3)]] as const) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[t * aBatch + (ta ? q * m + i : i * k + q)]! * B[t * bBatch + (tb ? j * k + q : q * n + j)]!;
        worst = Math.max(worst, Math.abs(got[t * m * n + i * n + j]! - s) / Math.sqrt(k));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });

  it('a fused matMul with bias and relu equals matMul + bias, then relu', async () => {
    const [a, b, bias] = [randn([500, 64]), randn([64, 96]), randn([96])];
    await tf.setBackend(NATIVE_TFJS_NAME);
    const fused = await tf.fused.matMul({ a, b, bias, activation: 'relu' }).data();
    const plain = await tf.relu(tf.add(tf.matMul(a, b), bias)).data();
    expect(relDiff(fused, plain)).toBe(0);
    tf.dispose([a, b, bias]);
  });

  it('the models ops on their fused kernels (ViT sizes) agree with the plain-op forms on wasm, forward and gradients', async () => {
    const [B, T, d, heads, n] = [8, 50, 64, 4, 256];
    const x = randn([B, T, d]);
    const scale = tf.tidy(() => tf.add(randn([d], 0.1), 1));
    const shift = randn([d], 0.1);
    const qkvW = randn([d, 3 * d], 0.15);
    const qkvB = randn([3 * d], 0.1);
    const outW = randn([d, d], 0.15);
    const outB = randn([d], 0.1);
    const keyW = randn([d, n], 0.1);
    const keyB = randn([n], 0.1);
    const logits = randn([B * T, 10], 2);
    const labels = tf.tensor1d(Array.from({ length: B * T }, (_, i) => (i * 7) % 10), 'int32');
    const dy = randn([B, T, n]);
    const block = (xs: tf.Tensor, s: tf.Tensor, w: tf.Tensor): tf.Tensor => {
      const h = tf.add(xs, selfAttention(layerNorm(xs, s, shift, 1e-6), { qkvWeight: w, qkvBias: qkvB, outWeight: outW, outBias: outB }, heads, false));
      return tf.mul(linear(layerNorm(h, s, shift, 1e-6), keyW, keyB), dy);
    };
    const { wasm, native: got } = await onBoth(() => {
      const { value, grads } = tf.valueAndGrads((xs: tf.Tensor, s: tf.Tensor, w: tf.Tensor) => tf.sum(block(xs, s, w)))([x, scale, qkvW]);
      const ce = tf.valueAndGrad((l: tf.Tensor) => softmaxCrossEntropy(l, labels, 0.11))(logits);
      return [value, ...grads, ce.value, ce.grad];
    });
    ['value', 'dx', 'dscale', 'dqkv', 'loss', 'dlogits'].forEach((label, i) => expect(relDiff(got[i]!, wasm[i]!), label).toBeLessThan(2e-5));
    tf.dispose([x, scale, shift, qkvW, qkvB, outW, outB, keyW, keyB, logits, labels, dy]);
  });

  it('a cast to the same dtype shares the data; other casts convert', async () => {
    await tf.setBackend(NATIVE_TFJS_NAME);
    const x = tf.tensor([1.5, -2.5, 3]);
    const before = tf.memory().numBytes;
    const same = tf.cast(x, 'float32');
    expect(tf.memory().numBytes).toBe(before + 12);
    expect(Array.from(await tf.cast(x, 'int32').data())).toEqual([1, -2, 3]);
    expect(Array.from(await tf.cast(tf.tensor([0, 2], undefined, 'int32'), 'bool').data())).toEqual([0, 1]);
    tf.dispose([x, same]);
  });

  it('Identity shares the data instead of copying it, and the copy lives on after the original is disposed', async () => {
    await tf.setBackend(NATIVE_TFJS_NAME);
    const x = tf.tensor([1, 2, 3]);
    const before = tf.memory().numBytes;
    const copy = tf.clone(x);
    expect(tf.memory().numBytes).toBe(before + 12);
    const backend = tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } };
    expect(backend.dataIdMap.get(copy.dataId)!.memoryOffset).toBe(backend.dataIdMap.get(x.dataId)!.memoryOffset);
    x.dispose();
    expect(Array.from(await copy.data())).toEqual([1, 2, 3]);
    copy.dispose();
  });

  it('gives the same products on one thread as on every thread (to float rounding: the split covers every output once)', async () => {
    const status = loadAddon();
    if (!status.ok) throw new Error(status.reason);
    const [a, b] = [randn([777, 64]), randn([64, 300])];
    await tf.setBackend(NATIVE_TFJS_NAME);
    const threads = status.addon.threads();
    try {
      const all = Float32Array.from(await tf.matMul(a, b).data());
      status.addon.threads(1);
      const one = Float32Array.from(await tf.matMul(a, b).data());
      expect(relDiff(one, all)).toBeLessThan(1e-6);
    } finally {
      status.addon.threads(threads);
      tf.dispose([a, b]);
    }
  });

  it('rejects a heap offset outside the heap with a coded error instead of writing there', () => {
    const status = loadAddon();
    if (!status.ok) throw new Error(status.reason);
    const heap = new ArrayBuffer(64);
    expect(() => status.addon.unary(heap, 0, 100, 0, 32, 0)).toThrow(/range outside the heap/);
    expect(() => status.addon.gemm(heap, false, false, 1, 4, 4, 4, 1, 0, 0, 1 << 20, 0, 0, -1, false)).toThrow(expect.objectContaining({ code: 'E_NATIVE_KERNEL' }));
    // The fused product checks its broadcast bias and alpha by the span their strides reach.
    const big = new ArrayBuffer(4096);
    const fused = (bias: number, biasBatch: number, biasRow: number, biasCol: number, alpha = -1, activation = alpha === -1 ? 0 : 4): void =>
      status.addon.fusedGemm(big, false, false, 2, 2, 2, 2, 0, 4, 64, 4, 128, bias, biasBatch, biasRow, biasCol, activation, alpha, 0, 0, 1, 0.2);
    expect(() => fused(256, 4, 2, 1)).not.toThrow();
    expect(() => fused(4080, 4, 2, 1)).toThrow(/range outside the heap/);
    expect(() => fused(256, 0, 0, 2)).toThrow(/column stride must be 0 or 1/);
    expect(() => fused(-1, 0, 0, 0, 4092)).toThrow(/range outside the heap/);
    expect(() => fused(-1, 0, 0, 0, -1, 4)).toThrow(/prelu needs its alpha/);
    expect(() => fused(-1, 0, 0, 0, -1, 7)).toThrow(/unknown activation/);
  });
});
