import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients, estimateAverageSharpness, estimateWorstCaseSharpness } from '@flatsparse/core';
import { ConfigError, Rng, type FlatnessInput } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { studentTQuantile975 } from '../../packages/core/src/curvature/sharpness.js';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
beforeAll(async () => {
  if (state.available) await registerGradients();
});

// A = Q diag(LAMBDA) Q^T with Q = H / sqrt(8), H the 8 x 8 Sylvester-Hadamard matrix: A = H diag(LAMBDA) H^T / 8
// has dyadic entries, so the float32 matrix the loss uses has exactly these eigenvalues and eigenvectors.
const LAMBDA = [3, 1.5, 1, 0.5, 0.25, -0.25, 0.125, 0.0625];
const N = LAMBDA.length;
const hadamard = (i: number, j: number): number => {
  let bits = i & j;
  let parity = 0;
  while (bits) {
    parity ^= bits & 1;
    bits >>= 1;
  }
  return parity ? -1 : 1;
};
const A = Array.from({ length: N }, (_, i) => Float64Array.from({ length: N }, (_, j) => LAMBDA.reduce((s, l, k) => s + (l * hadamard(i, k) * hadamard(j, k)) / N, 0)));
const TRACE = LAMBDA.reduce((a, b) => a + b, 0);
const LAMBDA_MAX = Math.max(...LAMBDA);
/** Seed of the average-case estimates (any seed works for the figure checks; the coverage checks hold for 95% of seeds). */
const SEED = 11;

const matVec = (v: ArrayLike<number>): Float64Array => Float64Array.from(A, (row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
/** L(w + e) - L(w) for L = 0.5 w^T A w, in float64. */
const increase = (w: ArrayLike<number>, e: ArrayLike<number>): number => dot(matVec(w), e) + 0.5 * dot(e, matVec(e));

/**
 * L(w) = 0.5 w^T A w with w (length 8) split over 'layer.weight' [2, 2] and 'layer.bias' [4], plus a
 * non-trainable 'frozen' that enters the loss additively (and must not be perturbed).
 */
function quadratic(w: readonly number[], seed = 5): { input: FlatnessInput; values(): Map<string, number[]>; dispose(): void } {
  const variable = (values: number[], shape: number[], trainable: boolean) => tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable));
  const params = new Map<string, tf.Variable>([
    ['layer.weight', variable(w.slice(0, 4), [2, 2], true)],
    ['layer.bias', variable(w.slice(4), [4], true)],
    ['frozen', variable([0.5, -2], [2], false)],
  ]);
  const matrix = tf.tensor2d(A.flatMap((row) => [...row]), [N, N]);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const v = tf.reshape(tf.concat([tf.reshape(params.get('layer.weight')!, [-1]), params.get('layer.bias')!]), [N, 1]);
      return tf.add(tf.mul(0.5, tf.sum(tf.mul(v, tf.matMul(matrix, v)))), tf.sum(tf.square(params.get('frozen')!))) as tf.Scalar;
    });
  return {
    input: { loss, params, seed },
    values: () => new Map([...params].map(([k, v]) => [k, Array.from(v.dataSync())])),
    dispose: () => {
      params.forEach((v) => v.dispose());
      matrix.dispose();
    },
  };
}

/** A float32-exact point (w as the variables hold it). */
function point(seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: N }, () => Math.fround(rng.normal()));
}

/**
 * max over ||e|| <= rho of g.e + 0.5 e^T A e (the trust-region problem), in the eigenbasis of A:
 * e_k = ghat_k / (mu - lambda_k) with mu > lambda_max solving sum ghat_k^2 / (mu - lambda_k)^2 = rho^2
 * (bisection), valid when g has a component along the top eigenvector.
 */
function trustRegionMax(g: Float64Array, rho: number): number {
  const ghat = LAMBDA.map((_, k) => dot(g, Array.from({ length: N }, (_, i) => hadamard(i, k) / Math.sqrt(N))));
  const size = (mu: number) => Math.sqrt(ghat.reduce((s, x, k) => s + (x / (mu - LAMBDA[k]!)) ** 2, 0));
  let lo = LAMBDA_MAX;
  let hi = LAMBDA_MAX + norm(g) / rho;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (size(mid) > rho) lo = mid;
    else hi = mid;
  }
  const ehat = ghat.map((x, k) => x / (hi - LAMBDA[k]!));
  return ehat.reduce((s, e, k) => s + ghat[k]! * e + 0.5 * LAMBDA[k]! * e * e, 0);
}

/** ASAM-scaled projected ascent in float64 (u = e / T), the algorithm stated in estimateWorstCaseSharpness's docs. */
function adaptiveAscent(w: readonly number[], rho: number, eta: number, steps: number): number {
  const t = w.map((x) => Math.abs(x) + eta);
  const u = new Float64Array(N);
  let best = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < steps; k++) {
    const e = u.map((x, i) => x * t[i]!);
    const g = matVec(w.map((x, i) => x + e[i]!));
    const tg = g.map((x, i) => x * t[i]!);
    const length = norm(tg);
    u.forEach((x, i) => (u[i] = x + (rho * tg[i]!) / length));
    const size = norm(u);
    if (size > rho) u.forEach((x, i) => (u[i] = (x * rho) / size));
    best = Math.max(best, increase(w, u.map((x, i) => x * t[i]!)));
  }
  return best;
}

describe.skipIf(!state.available)('worst-case sharpness (quadratic with a known Hessian)', () => {
  let before = 0;
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  it('one step at w != 0 is the SAM estimate L(w + rho g/||g||) - L(w); parameters restored bit-exactly', async () => {
    const w = point(1);
    const q = quadratic(w);
    const initial = q.values();
    const rho = 0.3;
    const result = await estimateWorstCaseSharpness(q.input, { rho });
    const g = matVec(w);
    const want = increase(w, g.map((x) => (rho * x) / norm(g)));
    expect(result.figures.worstCaseSharpness).toBeCloseTo(want, 5);
    expect(result.figures.loss).toBeCloseTo(0.5 * dot(w, g) + 4.25, 5);
    expect(result.figures.lossAtMax - result.figures.loss).toBe(result.figures.worstCaseSharpness);
    expect(result.ascentSteps).toBe(1);
    expect(result.cost).toMatchObject({ forwardPasses: 2, backwardPasses: 1 });
    expect(result.randomness).toBeUndefined();
    expect(q.values()).toEqual(initial);
    q.dispose();
  });

  it('at w = 0 (zero gradient) starts from a seeded random direction and converges to 0.5 rho^2 lambda_max', async () => {
    const q = quadratic(new Array<number>(N).fill(0));
    const rho = 0.2;
    const exact = 0.5 * rho ** 2 * LAMBDA_MAX;
    const results = [];
    for (const steps of [1, 5, 40]) results.push(await estimateWorstCaseSharpness(q.input, { rho, steps }));
    const values = results.map((r) => r.figures.worstCaseSharpness);
    // Never above the true maximum, non-decreasing in the number of steps, and converged at 40.
    for (const v of values) expect(v).toBeLessThanOrEqual(exact * (1 + 1e-5));
    expect(values[1]!).toBeGreaterThanOrEqual(values[0]!);
    expect(values[2]!).toBeGreaterThanOrEqual(values[1]!);
    expect(values[0]!).toBeLessThan(exact * 0.99);
    expect(Math.abs(values[2]! - exact) / exact).toBeLessThan(1e-4);
    expect(results[2]!.randomness).toEqual({ seed: 5, probes: 1 });
    expect(results[2]!.cost).toMatchObject({ forwardPasses: 41, backwardPasses: 40 });
    // The seed decides the random start: the same seed gives the same estimate.
    expect((await estimateWorstCaseSharpness(q.input, { rho, steps: 5 })).figures.worstCaseSharpness).toBe(values[1]);
    q.dispose();
  });

  it('at w != 0, many steps reach the trust-region maximum of g.e + 0.5 e^T A e over ||e|| <= rho', async () => {
    const w = point(2);
    const q = quadratic(w);
    const rho = 0.5;
    const exact = trustRegionMax(matVec(w), rho);
    const one = await estimateWorstCaseSharpness(q.input, { rho });
    const many = await estimateWorstCaseSharpness(q.input, { rho, steps: 30 });
    expect(one.figures.worstCaseSharpness).toBeLessThan(exact - 1e-3);
    expect(Math.abs(many.figures.worstCaseSharpness - exact) / exact).toBeLessThan(1e-4);
    q.dispose();
  });

  it('adaptive (ASAM ball ||e / (|w| + eta)|| <= rho) agrees with a float64 computation, at 1 and 4 steps', async () => {
    const w = point(3);
    const q = quadratic(w);
    const o = { rho: 0.4, eta: 0.05, adaptive: true };
    const one = await estimateWorstCaseSharpness(q.input, o);
    const t = w.map((x) => Math.abs(x) + o.eta);
    const g = matVec(w);
    const tg = g.map((x, i) => x * t[i]!);
    const closedForm = increase(w, g.map((x, i) => (o.rho * t[i]! * t[i]! * x) / norm(tg)));
    expect(one.figures.worstCaseSharpness).toBeCloseTo(closedForm, 5);
    expect(one.figures.worstCaseSharpness).toBeCloseTo(adaptiveAscent(w, o.rho, o.eta, 1), 5);
    const four = await estimateWorstCaseSharpness(q.input, { ...o, steps: 4 });
    expect(four.figures.worstCaseSharpness).toBeCloseTo(adaptiveAscent(w, o.rho, o.eta, 4), 5);
    // The ASAM ball differs from the plain one: the figures differ.
    const plain = await estimateWorstCaseSharpness(q.input, { rho: o.rho });
    expect(Math.abs(plain.figures.worstCaseSharpness - one.figures.worstCaseSharpness)).toBeGreaterThan(1e-2);
    q.dispose();
  });

  it('a filter restricts the ball to a parameter subset (the other entries of e are zero)', async () => {
    const w = point(4);
    const q = quadratic(w);
    const rho = 0.3;
    const result = await estimateWorstCaseSharpness(q.input, { rho, filter: 'layer\\.bias' });
    const g = matVec(w).map((x, i) => (i < 4 ? 0 : x));
    expect(result.figures.worstCaseSharpness).toBeCloseTo(increase(w, g.map((x) => (rho * x) / norm(g))), 5);
    q.dispose();
  });

  it('a non-finite gradient at w gives NaN figures without any step, and leaves w alone', async () => {
    const w = point(1);
    w[2] = Number.NaN;
    const q = quadratic(w);
    const initial = q.values();
    const result = await estimateWorstCaseSharpness(q.input, { steps: 3 });
    expect(result.figures.worstCaseSharpness).toBeNaN();
    expect(result.ascentSteps).toBe(0);
    expect(result.cost).toMatchObject({ forwardPasses: 1, backwardPasses: 1 });
    expect(q.values()).toEqual(initial);
    q.dispose();
  });

  it('rejects bad options with E_CONFIG_INVALID naming the option', async () => {
    const q = quadratic(point(1));
    for (const [options, path] of [
      [{ rho: 0 }, 'rho'],
      [{ steps: 0 }, 'steps'],
      [{ steps: 2.5 }, 'steps'],
      [{ eta: -1 }, 'eta'],
      [{ rhoo: 1 }, 'rhoo'],
    ] as const) {
      const err = await estimateWorstCaseSharpness(q.input, options as never).then(() => undefined, (e: unknown) => e);
      expect(err, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('E_CONFIG_INVALID');
      expect((err as ConfigError).path).toBe(path);
    }
    q.dispose();
  });
});

describe.skipIf(!state.available)('average-case sharpness (quadratic with a known Hessian)', () => {
  let before = 0;
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  /** The per-draw increases the estimator should see, from the same seeded draws, in float64. */
  function referenceIncreases(w: readonly number[], o: { seed: number; samples: number; sigma: number; antithetic: boolean; relative?: boolean }): number[] {
    const rng = new Rng(o.seed);
    return Array.from({ length: o.samples }, () => {
      const e = Array.from({ length: N }, (_, i) => o.sigma * rng.normal() * (o.relative ? Math.abs(w[i]!) : 1));
      return o.antithetic ? (increase(w, e) + increase(w, e.map((x) => -x))) / 2 : increase(w, e);
    });
  }

  function meanAndSe(xs: readonly number[]): { mean: number; se: number } {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
    return { mean, se: Math.sqrt(variance / xs.length) };
  }

  it.each([
    ['antithetic', true],
    ['plain', false],
  ])('%s draws at w != 0: figures equal the same draws in float64; the 95 percent interval covers 0.5 sigma^2 tr(A)', async (_, antithetic) => {
    const w = point(6);
    const q = quadratic(w, SEED);
    const initial = q.values();
    const o = { sigma: 0.1, samples: 200, antithetic };
    const result = await estimateAverageSharpness(q.input, o);
    const { averageSharpness: mean, averageSharpnessStdErr: se, averageSharpnessLo: lo, averageSharpnessHi: hi } = result.figures;
    const ref = meanAndSe(referenceIncreases(w, { seed: SEED, ...o }));
    expect(Math.abs(mean - ref.mean)).toBeLessThan(2e-6);
    expect(Math.abs(se - ref.se) / ref.se).toBeLessThan(1e-3);
    expect(hi - mean).toBeCloseTo(1.971956544 * se, 9); // t(0.975, 199), scipy.stats.t.ppf
    expect(mean - lo).toBeCloseTo(hi - mean, 12);
    const exact = 0.5 * o.sigma ** 2 * TRACE;
    expect(lo).toBeLessThanOrEqual(exact);
    expect(hi).toBeGreaterThanOrEqual(exact);
    expect(result.interval).toBe('student-t');
    expect(result.randomness).toEqual({ seed: SEED, probes: 200 });
    expect(result.cost).toMatchObject({ forwardPasses: 1 + (antithetic ? 400 : 200), backwardPasses: 0 });
    expect(q.values()).toEqual(initial);
    q.dispose();
  });

  it('the interval construction covers the truth about 95 percent of the time (400 seeds of the float64 draws)', () => {
    const w = point(6);
    const exact = 0.5 * 0.1 ** 2 * TRACE;
    let covered = 0;
    for (let seed = 0; seed < 400; seed++) {
      const { mean, se } = meanAndSe(referenceIncreases(w, { seed, sigma: 0.1, samples: 100, antithetic: true }));
      const half = studentTQuantile975(99) * se;
      if (mean - half <= exact && exact <= mean + half) covered++;
    }
    expect(covered / 400).toBeGreaterThan(0.91);
    expect(covered / 400).toBeLessThan(0.98);
  });

  it('antithetic draws remove the first-order term: far smaller standard error away from the minimum', async () => {
    const q = quadratic(point(6));
    const paired = await estimateAverageSharpness(q.input, { sigma: 0.1, samples: 50 });
    const plain = await estimateAverageSharpness(q.input, { sigma: 0.1, samples: 50, antithetic: false });
    expect(paired.figures.averageSharpnessStdErr * 5).toBeLessThan(plain.figures.averageSharpnessStdErr);
    q.dispose();
  });

  it('relative noise sigma |w| eps: expectation 0.5 sigma^2 sum_i A_ii w_i^2', async () => {
    const w = point(7);
    const q = quadratic(w, 23);
    const o = { sigma: 0.2, samples: 300, relative: true };
    const result = await estimateAverageSharpness(q.input, o);
    const exact = 0.5 * o.sigma ** 2 * w.reduce((s, x, i) => s + A[i]![i]! * x * x, 0);
    expect(result.figures.averageSharpnessLo).toBeLessThanOrEqual(exact);
    expect(result.figures.averageSharpnessHi).toBeGreaterThanOrEqual(exact);
    const ref = meanAndSe(referenceIncreases(w, { seed: 23, antithetic: true, ...o }));
    expect(Math.abs(result.figures.averageSharpness - ref.mean)).toBeLessThan(2e-6);
    q.dispose();
  });

  it('rejects bad options with E_CONFIG_INVALID naming the option', async () => {
    const q = quadratic(point(1));
    for (const [options, path] of [
      [{ sigma: 0 }, 'sigma'],
      [{ samples: 1 }, 'samples'],
      [{ relative: 'yes' }, 'relative'],
      [{ filter: 3 }, 'filter'],
    ] as const) {
      const err = await estimateAverageSharpness(q.input, options as never).then(() => undefined, (e: unknown) => e);
      expect(err, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).path).toBe(path);
    }
    q.dispose();
  });
});

describe('studentTQuantile975', () => {
  it('matches scipy.stats.t.ppf(0.975, nu)', () => {
    const table: [number, number][] = [
      [1, 12.70620474],
      [2, 4.30265273],
      [5, 2.57058184],
      [30, 2.04227246],
      [31, 2.03951345],
      [99, 1.98421695],
      [1000, 1.96233908],
    ];
    for (const [nu, want] of table) expect(Math.abs(studentTQuantile975(nu) - want), `nu ${nu}`).toBeLessThan(1e-6);
  });
});
