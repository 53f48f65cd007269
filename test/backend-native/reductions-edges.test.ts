import { nativeBackend, NATIVE_TFJS_NAME } from '@flatsparse/backend-native';
import { Rng } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCpu } from '../support/cpu-reference.js';

// Sum, mean and max on the native backend keep tfjs-backend-cpu's results at the float range's edges:
// near FLT_MAX a sum overflows to the same infinity as cpu's double sum (never NaN from partial sums
// that overflowed with opposite signs), a mean divides the double sum once (so it neither overflows nor
// loses subnormals), NaN and infinities propagate alike. Seeded random cases near FLT_MAX
// over every reduction layout (all, trailing, leading, middle axes; one and several threads), plus the
// failure pattern. Finite results agree within one float ulp and the reordering of double sums, others
// exactly; a mean is rounded once (see mismatch for the one place where that differs from cpu).

const native = nativeBackend();
const availability = await safeAvailability(native);
if (!availability.available) console.warn(`[skip] backend 'native' is not available: ${availability.reason} Fix: ${availability.fix}`);

const FLT_MAX = 3.4028234663852886e38;
const OPS = ['sum', 'mean', 'max'] as const;
type Op = (typeof OPS)[number];
const run = (op: Op, x: tf.Tensor, axis: number | number[] | undefined, keepDims: boolean): tf.Tensor =>
  op === 'sum' ? tf.sum(x, axis, keepDims) : op === 'mean' ? tf.mean(x, axis, keepDims) : tf.max(x, axis, keepDims);

async function on(name: string, values: Float32Array, shape: number[], op: Op, axis: number | number[] | undefined, keepDims: boolean): Promise<{ shape: number[]; values: Float32Array }> {
  expect(await tf.setBackend(name)).toBe(true);
  const y = tf.tidy(() => run(op, tf.tensor(values, shape), axis, keepDims));
  const out = { shape: y.shape, values: Float32Array.from(await y.data()) };
  y.dispose();
  return out;
}

/** One float ulp at |v|. */
function ulp(v: number): number {
  const f = new Float32Array([Math.abs(v)]);
  const i = new Int32Array(f.buffer);
  i[0]! += 1;
  return f[0]! - Math.abs(v) || 1.4e-45;
}

/**
 * Native and cpu agree: NaN for NaN, the same infinity, finite values within one ulp plus what summing
 * in another order can move them (the terms' scale times 2^-50 per term; for a mean, cpu's rounding of
 * each x / n too). One exception, by design: where every input is finite and cpu's mean rounds up to
 * +-Inf (its x / n terms rounded up, at FLT_MAX), native's mean is the finite value next to it.
 * Returns the first mismatch, or ''.
 */
async function mismatch(values: Float32Array, shape: number[], op: Op, axis: number | number[] | undefined, keepDims = false): Promise<string> {
  const ref = await on('cpu', values, shape, op, axis, keepDims);
  const got = await on(NATIVE_TFJS_NAME, values, shape, op, axis, keepDims);
  const where = `${op} over ${JSON.stringify(axis)} of [${shape}]`;
  if (JSON.stringify(got.shape) !== JSON.stringify(ref.shape)) return `${where}: shape [${got.shape}] instead of [${ref.shape}]`;
  let scale = 0;
  for (const v of values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const allFinite = values.every((v) => Number.isFinite(v));
  const slack = op === 'max' ? 0 : op === 'sum' ? values.length * scale * 2 ** -50 : scale * 2 ** -22;
  for (let i = 0; i < ref.values.length; i++) {
    const x = got.values[i]!;
    const y = ref.values[i]!;
    let same: boolean;
    if (Number.isNaN(y)) same = Number.isNaN(x);
    else if (Number.isFinite(y)) same = Number.isFinite(x) && Math.abs(x - y) <= ulp(y) + slack;
    else if (op === 'mean' && allFinite) same = Number.isFinite(x) && Math.sign(x) === Math.sign(y) && Math.abs(x) >= 0.999 * FLT_MAX;
    else same = x === y;
    if (!same) return `${where}, output ${i}: native ${x}, cpu ${y}`;
  }
  return '';
}

/** Seeded values near +-FLT_MAX (a quarter of them small, so partial sums cross back and forth). */
function nearMax(rng: Rng, n: number): Float32Array {
  return Float32Array.from(rng.fill(n, (r) => (r.uniform() < 0.5 ? -1 : 1) * (r.uniform() < 0.25 ? r.uniform() * 1e3 : FLT_MAX * (0.5 + 0.5 * r.uniform()))));
}

describe.skipIf(!availability.available)('native reductions at the float range edges, against tfjs-backend-cpu', () => {
  beforeAll(async () => {
    await registerCpu();
    await native.init();
  });

  it('the failure pattern: partial sums overflowing with opposite signs give cpu’s result, not NaN', async () => {
    // Two lanes of eight each see M + M (+Inf in float) and -M + -M (-Inf): +Inf + -Inf was NaN; cpu's sum is 0.
    const x = new Float32Array(16);
    x[0] = FLT_MAX;
    x[1] = -FLT_MAX;
    x[8] = FLT_MAX;
    x[9] = -FLT_MAX;
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    expect(Array.from(await tf.sum(tf.tensor1d(x)).data())).toEqual([0]);
    expect(Array.from(await tf.mean(tf.tensor1d(x)).data())).toEqual([0]);
    // Where the sequential sum overflows one way, so does native's.
    const y = Float32Array.from([FLT_MAX, FLT_MAX, -FLT_MAX, 0, 0, 0, 0, 0, FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, 0, 0, 0, 0, FLT_MAX, FLT_MAX]);
    for (const op of OPS) {
      for (const [shape, axis] of [[[16], undefined], [[1, 16], 1], [[16, 1], 0], [[2, 8], 1]] as [number[], number | undefined][]) expect(await mismatch(x, shape, op, axis)).toBe('');
      for (const [shape, axis] of [[[18], undefined], [[1, 18], 1], [[18, 1], 0], [[2, 9], 1], [[2, 9], 0]] as [number[], number | undefined][]) expect(await mismatch(y, shape, op, axis)).toBe('');
    }
  });

  it('random sums, means and maxima near FLT_MAX (seeded), every reduction layout', async () => {
    const rng = new Rng(1712);
    const layouts: [number[], number | number[] | undefined][] = [
      [[16], undefined],
      [[17], undefined],
      [[3], undefined],
      [[1000], undefined],
      [[8, 40], 1],
      [[8, 40], 0],
      [[40, 8], [0, 1]],
      [[4, 6, 10], 1], // a middle axis: moved last first
      [[4, 6, 10], [0, 2]],
      [[5, 1, 24], [0, 1]],
    ];
    const failures: string[] = [];
    let cases = 0;
    for (let round = 0; round < 30; round++) {
      for (const [shape, axis] of layouts) {
        const values = nearMax(rng, shape.reduce((p, q) => p * q, 1));
        for (const op of OPS) {
          const keepDims = round % 2 === 1;
          const m = await mismatch(values, shape, op, axis, keepDims);
          cases++;
          if (m !== '') failures.push(m);
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(cases).toBe(900);
  });

  it('large tensors split across threads (all, rows, columns) near FLT_MAX', async () => {
    const rng = new Rng(7);
    for (const [shape, axis] of [[[140_000], undefined], [[64, 2048], 1], [[2048, 64], 0], [[300, 500], undefined]] as [number[], number | undefined][]) {
      const values = nearMax(rng, shape.reduce((p, q) => p * q, 1));
      for (const op of OPS) expect(await mismatch(values, shape, op, axis)).toBe('');
    }
  });

  it('infinities, NaN, and the subnormal end', async () => {
    const tiny = 1.401298464324817e-45;
    const cases: [string, number[]][] = [
      ['+Inf and -Inf', [Infinity, 1, -Infinity, 2]],
      ['NaN', [1, NaN, 3, -Infinity]],
      ['one +Inf among large negatives', [-FLT_MAX, -FLT_MAX, Infinity, -FLT_MAX]],
      ['smallest subnormals', [tiny, tiny, tiny]],
      ['subnormals of both signs', [tiny, -tiny, 3 * tiny, tiny]],
      ['FLT_MAX three times', [FLT_MAX, FLT_MAX, FLT_MAX]],
      ['just below overflow', [FLT_MAX, 1e31, 1e31, -1e31]],
    ];
    for (const [label, list] of cases) {
      for (const op of OPS) expect(await mismatch(Float32Array.from(list), [list.length], op, undefined), label).toBe('');
    }
  });

  it('a mean is the double sum divided once: finite where cpu rounds a mean at FLT_MAX up to Inf, subnormals kept', async () => {
    const hundred = new Float32Array(100).fill(FLT_MAX);
    expect(await tf.setBackend('cpu')).toBe(true);
    expect(Array.from(await tf.mean(tf.tensor1d(hundred)).data())).toEqual([Infinity]);
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    expect(Array.from(await tf.mean(tf.tensor1d(hundred)).data())).toEqual([Math.fround(FLT_MAX)]);
    expect(Array.from(await tf.mean(tf.tensor1d(hundred.map((v) => -v))).data())).toEqual([-Math.fround(FLT_MAX)]);
    // The mean of a 0/1 mask is the exact fraction rounded once (the sparsity metrics rely on it).
    const mask = Float32Array.from({ length: 192 }, (_, i) => (i % 27 === 0 ? 1 : 0));
    expect(Array.from(await tf.mean(tf.tensor1d(mask)).data())).toEqual([Math.fround(8 / 192)]);
    const tiny = 1.401298464324817e-45;
    expect(Array.from(await tf.mean(tf.tensor1d([tiny, tiny, tiny])).data())).toEqual([tiny]);
  });
});
