/**
 * Shared fixtures of the curvature-*.test.ts suites: quadratic losses with known Hessians on tfjs
 * variables, and a tiny MLP with a plain-JS float64 implementation of its loss, analytic gradient and
 * full Hessian (the independent reference the tfjs float32 estimates are checked against).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type FlatnessInput } from '@flatsparse/plugin-api';

/** Float32 rounding of a number. */
export const f32 = Math.fround;

/** n x n matrix-vector product in float64. */
export function matVec(a: readonly Float64Array[], v: Float64Array): Float64Array {
  return Float64Array.from(a, (row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
}

/**
 * A random symmetric matrix with the given eigenvalues (Q diag(lambda) Q^T, Q from Gram-Schmidt of a
 * seeded Gaussian matrix), rounded to float32 entry by entry (still symmetric), so that the tfjs
 * float32 loss has exactly this Hessian; the reference spectrum is computed from the rounded matrix.
 */
export function symmetricMatrix(eigenvalues: readonly number[], seed: number): Float64Array[] {
  const n = eigenvalues.length;
  const rng = new Rng(seed);
  const q: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      const d = u.reduce((s, x, i) => s + x * v[i]!, 0);
      u.forEach((x, i) => (v[i]! -= d * x));
    }
    const len = Math.hypot(...v);
    q.push(v.map((x) => x / len));
  }
  return Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => f32(eigenvalues.reduce((s, lambda, k) => s + lambda * q[k]![i]! * q[k]![j]!, 0))),
  );
}

/** A quadratic loss 0.5 w^T A w + b^T w over tfjs variables, plus the variables outside the subset. */
export interface QuadraticProblem {
  /** The FlatnessInput (loss over `params`, seed 7). */
  readonly input: FlatnessInput;
  /** The Hessian (float32-exact). */
  readonly a: Float64Array[];
  /** Disposes every variable. */
  dispose(): void;
}

/**
 * w (length n) is split over two variables 'layer.weight' [2, n/4] and 'layer.bias' [n/2] (row-major,
 * in that order), besides an unrelated trainable 'other.weight' (which filters must exclude) and a
 * non-trainable 'frozen'. Both enter the loss, so derivatives must be restricted to the subset.
 */
export function quadraticProblem(a: Float64Array[], seed: number): QuadraticProblem {
  const n = a.length;
  const rng = new Rng(seed);
  const draw = (size: number) => rng.fill(size, (r) => r.normal());
  const params = new Map<string, tf.Variable>([
    ['layer.weight', tf.variable(tf.tensor(draw(n / 2), [2, n / 4]), true)],
    ['layer.bias', tf.variable(tf.tensor(draw(n / 2), [n / 2]), true)],
    ['other.weight', tf.variable(tf.tensor(draw(3), [3]), true)],
    ['frozen', tf.variable(tf.tensor(draw(2), [2]), false)],
  ]);
  const matrix = tf.tensor2d(a.flatMap((row) => [...row]), [n, n]);
  const b = tf.tensor(draw(n), [n, 1]);
  const loss = () =>
    tf.tidy(() => {
      const w = tf.reshape(tf.concat([tf.reshape(params.get('layer.weight')!, [-1]), params.get('layer.bias')!]), [n, 1]);
      const quadratic = tf.mul(0.5, tf.sum(tf.mul(w, tf.matMul(matrix, w))));
      const rest = tf.add(tf.sum(tf.square(params.get('other.weight')!)), tf.sum(params.get('frozen')!));
      return tf.add(tf.add(quadratic, tf.sum(tf.mul(b, w))), tf.mul(rest, tf.sum(w))) as tf.Scalar;
    });
  return {
    input: { loss, params, seed: 7 },
    a,
    dispose: () => {
      params.forEach((v) => v.dispose());
      matrix.dispose();
      b.dispose();
    },
  };
}

/** Sizes of the tiny MLP: inputs, hidden units, classes, batch. */
export const MLP = { inputs: 3, hidden: 5, classes: 3, batch: 8 } as const;

/** Parameter layout of the tiny MLP, in map order: name, shape. */
const MLP_LAYOUT: readonly [string, number[]][] = [
  ['l1.weight', [MLP.inputs, MLP.hidden]],
  ['l1.bias', [MLP.hidden]],
  ['l2.weight', [MLP.hidden, MLP.classes]],
  ['l2.bias', [MLP.classes]],
];

/** Number of parameters of the tiny MLP (38). */
export const MLP_DIM = MLP_LAYOUT.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);

/** The fixed batch and the float32 initial parameters (flattened in map order) of the tiny MLP. */
export function mlpData(seed: number): { x: Float64Array; labels: number[]; w: Float64Array } {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: MLP.batch * MLP.inputs }, () => f32(rng.normal()));
  const labels = Array.from({ length: MLP.batch }, () => rng.int(MLP.classes));
  const w = Float64Array.from({ length: MLP_DIM }, () => f32(rng.normal() * 0.8));
  return { x, labels, w };
}

/**
 * Variant of the tiny MLP: hidden activation and loss. tfjs's double backward is wrong or disconnected
 * through ops whose gradient reuses their output (tanh, exp, sigmoid, softmax), and right through
 * softplus and squares: ('softplus', 'squared') is where exact and finite-difference products both run.
 */
export interface MlpVariant {
  readonly activation: 'tanh' | 'softplus';
  readonly loss: 'cross-entropy' | 'squared';
}

/**
 * Plain-JS float64 loss and analytic gradient of the tiny MLP: h = act(x W1 + b1), logits = h W2 + b2,
 * then mean softmax cross-entropy, or mean 0.5 ||logits - onehot||^2, over the batch. `w` is flattened
 * in map order (row-major).
 */
export function mlpLossAndGrad(w: Float64Array, x: Float64Array, labels: readonly number[], variant: MlpVariant): { loss: number; grad: Float64Array } {
  const { inputs: f, hidden: h, classes: c, batch } = MLP;
  const o1 = 0;
  const ob1 = f * h;
  const o2 = ob1 + h;
  const ob2 = o2 + h * c;
  const grad = new Float64Array(w.length);
  let loss = 0;
  for (let s = 0; s < batch; s++) {
    const hid = new Float64Array(h);
    const slope = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      let z = w[ob1 + j]!;
      for (let i = 0; i < f; i++) z += x[s * f + i]! * w[o1 + i * h + j]!;
      hid[j] = variant.activation === 'tanh' ? Math.tanh(z) : Math.log1p(Math.exp(z));
      slope[j] = variant.activation === 'tanh' ? 1 - Math.tanh(z) ** 2 : 1 / (1 + Math.exp(-z));
    }
    const logits = new Float64Array(c);
    for (let k = 0; k < c; k++) {
      let z = w[ob2 + k]!;
      for (let j = 0; j < h; j++) z += hid[j]! * w[o2 + j * c + k]!;
      logits[k] = z;
    }
    const target = (k: number) => (k === labels[s] ? 1 : 0);
    let dLogits: Float64Array;
    if (variant.loss === 'cross-entropy') {
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((acc, z) => acc + Math.exp(z - m), 0));
      loss += (lse - logits[labels[s]!]!) / batch;
      dLogits = logits.map((z, k) => (Math.exp(z - lse) - target(k)) / batch);
    } else {
      loss += logits.reduce((acc, z, k) => acc + 0.5 * (z - target(k)) ** 2, 0) / batch;
      dLogits = logits.map((z, k) => (z - target(k)) / batch);
    }
    const dHid = new Float64Array(h);
    for (let k = 0; k < c; k++) {
      grad[ob2 + k]! += dLogits[k]!;
      for (let j = 0; j < h; j++) {
        grad[o2 + j * c + k]! += hid[j]! * dLogits[k]!;
        dHid[j]! += w[o2 + j * c + k]! * dLogits[k]!;
      }
    }
    for (let j = 0; j < h; j++) {
      const dz = dHid[j]! * slope[j]!;
      grad[ob1 + j]! += dz;
      for (let i = 0; i < f; i++) grad[o1 + i * h + j]! += x[s * f + i]! * dz;
    }
  }
  return { loss, grad };
}

/**
 * The full Hessian of the tiny MLP in float64, column by column: central differences of the analytic
 * float64 gradient with step 1e-5 (truncation ~1e-10, rounding ~1e-11), then symmetrised.
 */
export function mlpHessian(w: Float64Array, x: Float64Array, labels: readonly number[], variant: MlpVariant): Float64Array[] {
  const n = w.length;
  const step = 1e-5;
  const columns = Array.from({ length: n }, (_, j) => {
    const plus = Float64Array.from(w);
    const minus = Float64Array.from(w);
    plus[j]! += step;
    minus[j]! -= step;
    const gp = mlpLossAndGrad(plus, x, labels, variant).grad;
    const gm = mlpLossAndGrad(minus, x, labels, variant).grad;
    return gp.map((g, i) => (g - gm[i]!) / (2 * step));
  });
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (columns[j]![i]! + columns[i]![j]!) / 2));
}

/** The tiny MLP in tfjs (float32) on the same batch and parameters, as a FlatnessInput. */
export function mlpProblem(seed: number, variant: MlpVariant): { input: FlatnessInput; hessian: Float64Array[]; w: Float64Array; dispose(): void } {
  const { x, labels, w } = mlpData(seed);
  let offset = 0;
  const params = new Map<string, tf.Variable>(
    MLP_LAYOUT.map(([name, shape]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from(w.subarray(offset, offset + size));
      offset += size;
      return [name, tf.variable(tf.tensor(values, shape), true)];
    }),
  );
  const xs = tf.tensor2d(Float32Array.from(x), [MLP.batch, MLP.inputs]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), MLP.classes));
  const p = (name: string) => params.get(name)!;
  const loss = () =>
    tf.tidy(() => {
      const pre = tf.add(tf.matMul(xs, p('l1.weight')), p('l1.bias'));
      const hid = variant.activation === 'tanh' ? tf.tanh(pre) : tf.softplus(pre);
      const logits = tf.add(tf.matMul(hid, p('l2.weight')), p('l2.bias'));
      if (variant.loss === 'squared') return tf.mean(tf.mul(0.5, tf.sum(tf.square(tf.sub(logits, ys)), 1))) as tf.Scalar;
      return tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    });
  return {
    input: { loss, params, seed: 11 },
    hessian: mlpHessian(w, x, labels, variant),
    w,
    dispose: () => {
      params.forEach((v) => v.dispose());
      xs.dispose();
      ys.dispose();
    },
  };
}
