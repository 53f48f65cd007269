import { nativeBackend, NATIVE_TFJS_NAME } from '@flatsparse/backend-native';
import { Rng } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCpu } from '../support/cpu-reference.js';

// tf.fused.matMul on the native backend against tfjs-backend-cpu: every bias shape that broadcasts to
// the product (scalar, [1], [n], [1, n], [m, 1], [m, n], one per batch entry, ...), every fused
// activation (prelu with alphas of each shape), the four transposes, batches on both operands or one,
// products large enough to be split across threads by rows and by columns, and the gradients. Where
// cpu refuses a shape, native must refuse it too. Values agree within float rounding of the products
// (summed in another order): 2e-6 of the largest magnitude; shapes exactly.

const native = nativeBackend();
const availability = await safeAvailability(native);
if (!availability.available) console.warn(`[skip] backend 'native' is not available: ${availability.reason} Fix: ${availability.fix}`);

const rng = new Rng(2025);
type Spec = { shape: number[]; values: Float32Array };
const random = (shape: number[]): Spec => ({ shape, values: Float32Array.from(rng.fill(shape.reduce((x, y) => x * y, 1), (r) => r.normal())) });
const tensor = (s: Spec): tf.Tensor => tf.tensor(s.values, s.shape);

type Outcome = { ok: true; shape: number[]; values: Float32Array[] } | { ok: false; error: string };

/** f on one backend: its outputs' shape (the first's) and values, or the error it threw. */
async function on(name: string, f: () => tf.Tensor[]): Promise<Outcome> {
  expect(await tf.setBackend(name)).toBe(true);
  let out: tf.Tensor[];
  try {
    out = tf.tidy(f);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const values = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
  const shape = out[0]!.shape;
  tf.dispose(out);
  return { ok: true, shape, values };
}

/** Largest |a - b| over the largest |b| (NaN must match NaN, infinities exactly). */
function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i]!)) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(x) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y)) && x !== y) return Infinity;
    } else worst = Math.max(worst, Math.abs(x - y));
  }
  return worst / (scale || 1);
}

/** f on native and on cpu: both refuse, or both give the same shape and values. */
async function agree(label: string, f: () => tf.Tensor[], tolerance = 2e-6): Promise<boolean> {
  const ref = await on('cpu', f);
  const got = await on(NATIVE_TFJS_NAME, f);
  if (!ref.ok) {
    expect(got.ok, `${label}: cpu refuses (${ref.error}), native must too`).toBe(false);
    return false;
  }
  expect(got.ok ? '' : got.error, label).toBe('');
  if (!got.ok) return false;
  expect(got.shape, label).toEqual(ref.shape);
  got.values.forEach((v, i) => expect(relDiff(v, ref.values[i]!), `${label}, output ${i}`).toBeLessThanOrEqual(tolerance));
  return true;
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'] as const;
type Activation = (typeof ACTIVATIONS)[number];

/** Batch layouts: a's and b's outer dims. */
const BATCHES: [string, number[], number[]][] = [
  ['no batch', [], []],
  ['batch on both', [3], [3]],
  ['batch on a only', [3], []],
  ['batch on b only', [], [3]],
  ['a batch of one on a', [1], [3]],
  ['two batch dims on both', [2, 3], [2, 3]],
  ['two batch dims on a only', [2, 3], []],
];

/** Bias (or prelu alpha) shapes for an output [...outer, m, n]. */
function shapesFor(outer: number[], m: number, n: number): [string, number[]][] {
  const list: [string, number[]][] = [
    ['scalar', []],
    ['[1]', [1]],
    ['[n]', [n]],
    ['[1, n]', [1, n]],
    ['[m, 1]', [m, 1]],
    ['[m, n]', [m, n]],
    ['[1, 1]', [1, 1]],
  ];
  if (outer.length > 0) {
    list.push(['[...batch, m, n]', [...outer, m, n]], ['[...batch, 1, n]', [...outer, 1, n]], ['[...batch, 1, 1]', [...outer, 1, 1]], ['[1, ...batch, m, n] (one more dim)', [1, ...outer, m, n]]);
  }
  if (outer.length > 1) list.push(['[last batch dim, 1, n]', [outer[outer.length - 1]!, 1, n]], ['[first batch dim, 1, 1, n]', [outer[0]!, 1, 1, n]]);
  list.push(['[2, m, n] (enlarges the product)', [2, m, n]]);
  return list;
}

interface Case {
  a: Spec;
  b: Spec;
  transposeA: boolean;
  transposeB: boolean;
  bias?: Spec;
  activation: Activation;
  alpha?: Spec;
}

/** The product as tfjs users call it (the op: batches flattened into rank-3 operands), or the kernel directly on the operands as given. */
function fused(c: Case, direct: boolean): tf.Tensor {
  const attrs = { transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation, leakyreluAlpha: 0.15 };
  if (direct) {
    const inputs: Record<string, tf.Tensor> = { a: tensor(c.a), b: tensor(c.b) };
    if (c.bias) inputs['bias'] = tensor(c.bias);
    if (c.alpha) inputs['preluActivationWeights'] = tensor(c.alpha);
    return tf.engine().runKernel(tf._FusedMatMul, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return tf.fused.matMul({ a: tensor(c.a), b: tensor(c.b), ...attrs, ...(c.bias ? { bias: tensor(c.bias) } : {}), ...(c.alpha ? { preluActivationWeights: tensor(c.alpha) } : {}) });
}

function operands(outerA: number[], outerB: number[], m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): { a: Spec; b: Spec } {
  return { a: random([...outerA, ...(transposeA ? [k, m] : [m, k])]), b: random([...outerB, ...(transposeB ? [n, k] : [k, n])]) };
}

const outerOf = (outerA: number[], outerB: number[]): number[] => tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);

describe.skipIf(!availability.available)('fused matMul on the native backend, against tfjs-backend-cpu', () => {
  beforeAll(async () => {
    await registerCpu();
    await native.init();
  });

  it('the issue: a one-element bias broadcasts to every element', async () => {
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    const y = tf.fused.matMul({ a: tf.tensor2d([[1, 2], [3, 4]]), b: tf.eye(2, 3), bias: tf.tensor1d([10]) });
    expect(Array.from(await y.data())).toEqual([11, 12, 10, 13, 14, 10]);
    const scalar = tf.fused.matMul({ a: tf.tensor2d([[1, 2], [3, 4]]), b: tf.eye(2, 3), bias: tf.scalar(10) });
    expect(Array.from(await scalar.data())).toEqual([11, 12, 10, 13, 14, 10]);
    tf.dispose([y, scalar]);
  });

  it.each(ACTIVATIONS)('every bias shape, batch layout and transpose with activation %s', async (activation) => {
    const m = 3;
    const k = 4;
    const n = 5;
    let compared = 0;
    let refused = 0;
    for (const [batchLabel, outerA, outerB] of BATCHES) {
      const outer = outerOf(outerA, outerB);
      const alphas: [string, number[] | undefined][] = activation === 'prelu' ? shapesFor(outer, m, n) : [['', undefined]];
      for (const [biasLabel, biasShape] of [['no bias', undefined] as [string, number[] | undefined], ...shapesFor(outer, m, n)]) {
        for (const [alphaLabel, alphaShape] of alphas) {
          // All transposes for the common bias shapes; the first for the rest (the bias path does not depend on them).
          const transposes = biasShape === undefined || biasLabel === '[n]' || biasLabel === 'scalar' || alphaLabel === '[m, 1]' ? [false, true] : [false];
          for (const transposeA of transposes) {
            for (const transposeB of transposes) {
              const c: Case = { ...operands(outerA, outerB, m, k, n, transposeA, transposeB), transposeA, transposeB, activation };
              if (biasShape) c.bias = random(biasShape);
              if (alphaShape) c.alpha = random(alphaShape);
              const label = `${batchLabel}, bias ${biasLabel}${alphaShape ? `, alpha ${alphaLabel}` : ''}, transposeA ${transposeA}, transposeB ${transposeB}`;
              if (await agree(label, () => [fused(c, false)])) compared++;
              else refused++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(refused);
  });

  it.each(ACTIVATIONS)('the kernel called directly on rank-4 operands, biases broadcast over some batch dims only (%s)', async (activation) => {
    const [m, k, n] = [3, 4, 5];
    for (const [outerA, outerB] of [[[2, 3], [2, 3]], [[2, 3], []], [[], [2, 3]], [[1, 1], [2, 3]]] as [number[], number[]][]) {
      const outer = outerOf(outerA, outerB);
      for (const [biasLabel, biasShape] of shapesFor(outer, m, n)) {
        const c: Case = { ...operands(outerA, outerB, m, k, n, false, true), transposeA: false, transposeB: true, activation, bias: random(biasShape) };
        if (activation === 'prelu') c.alpha = random([outer[0] ?? 1, 1, 1, n]);
        await agree(`[${outerA}] x [${outerB}], bias ${biasLabel}`, () => [fused(c, true)]);
      }
    }
  });

  it.each([
    ['split by rows', 150, 64, 40],
    ['split by columns', 20, 64, 700],
    ['one thread, odd sizes', 7, 13, 11],
  ])('a product %s: every bias broadcast and activation', async (_label, m, k, n) => {
    for (const activation of ACTIVATIONS) {
      for (const biasShape of [[n], [m, 1], [m, n], [1]]) {
        for (const [transposeA, transposeB] of [[false, false], [true, true]] as const) {
          const c: Case = { ...operands([], [], m, k, n, transposeA, transposeB), transposeA, transposeB, activation, bias: random(biasShape) };
          if (activation === 'prelu') c.alpha = random(biasShape.length === 1 && biasShape[0] === n ? [m, 1] : [n]);
          await agree(`${activation}, bias [${biasShape}], transposes ${transposeA}`, () => [fused(c, false)], 1e-5);
        }
      }
    }
  });

  it('NaN and infinities pass through every activation as on cpu; int32 prelu weights', async () => {
    const a: Spec = { shape: [4, 2], values: Float32Array.from([NaN, 1, -Infinity, 0, 1, 0, -3, 2]) };
    const b: Spec = { shape: [2, 3], values: Float32Array.from([1, -1, 2, 0.5, 0.25, -8]) };
    for (const activation of ACTIVATIONS) {
      const c: Case = { a, b, transposeA: false, transposeB: false, activation, bias: { shape: [3], values: Float32Array.from([0, 100, -100]) } };
      if (activation === 'prelu') c.alpha = { shape: [3], values: Float32Array.from([0.5, -2, 3]) };
      await agree(activation, () => [fused(c, false)]);
    }
    await agree('int32 alpha', () => [
      tf.fused.matMul({ a: tensor(a), b: tensor(b), activation: 'prelu', preluActivationWeights: tf.tensor1d([1, 2, 3], 'int32') }),
    ]);
  });

  it('empty products: zero rows, and an inner size of zero (bias and activation only)', async () => {
    await agree('m = 0', () => [tf.fused.matMul({ a: tf.zeros([0, 3]), b: tf.ones([3, 4]), bias: tf.ones([4]), activation: 'relu' })]);
    await agree('k = 0', () => [tf.fused.matMul({ a: tf.zeros([2, 0]), b: tf.zeros([0, 4]), bias: tf.tensor1d([1, -2, 3, -4]), activation: 'elu' })]);
  });

  it('gradients (the fused op keeps the kernel for linear under a gradient tape; relu runs unfused there) for each bias shape and transpose', async () => {
    const [m, k, n] = [3, 4, 5];
    for (const [batchLabel, outerA, outerB] of BATCHES) {
      const outer = outerOf(outerA, outerB);
      for (const [biasLabel, biasShape] of shapesFor(outer, m, n)) {
        for (const activation of ['linear', 'relu'] as const) {
          for (const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
            const { a, b } = operands(outerA, outerB, m, k, n, transposeA, transposeB);
            const bias = random(biasShape);
            const dy = random([...outer, m, n]);
            const label = `${batchLabel}, bias ${biasLabel}, ${activation}, transposes ${transposeA} ${transposeB}`;
            await agree(
              label,
              () => {
                const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor): tf.Tensor => tf.fused.matMul({ a: x, b: w, bias: c, transposeA, transposeB, activation });
                return tf.grads(f)([tensor(a), tensor(b), tensor(bias)], tensor(dy));
              },
              1e-5,
            );
          }
        }
      }
    }
  });
});
