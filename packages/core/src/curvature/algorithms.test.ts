import { describe, expect, it } from 'vitest';
import { ConfigError, Rng } from '@flatsparse/plugin-api';
import { topEigenvalues } from './eigen.js';
import { estimateTrace } from './hutchinson.js';
import { lanczos } from './lanczos.js';
import { symmetricEigen } from './linalg.js';
import { denseOperator } from './operator.js';
import { spectralDensity } from './slq.js';
import { dot, rademacher } from './vector-ops.js';

/** Q diag(lambda) Q^T with Q from Gram-Schmidt of a seeded Gaussian matrix. */
function withSpectrum(eigenvalues: readonly number[], seed: number): Float64Array[] {
  const n = eigenvalues.length;
  const rng = new Rng(seed);
  const q: Float64Array[] = [];
  while (q.length < n) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      const d = dot(u, v);
      u.forEach((x, i) => (v[i]! -= d * x));
    }
    const len = Math.sqrt(dot(v, v));
    q.push(v.map((x) => x / len));
  }
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => eigenvalues.reduce((s, l, k) => s + l * q[k]![i]! * q[k]![j]!, 0)));
}

const trace = (a: readonly Float64Array[]) => a.reduce((s, row, i) => s + row[i]!, 0);
/** Variance of one Rademacher term z^T A z: 2 (||A||_F^2 - sum a_ii^2). */
const hutchinsonVariance = (a: readonly Float64Array[]) => 2 * a.reduce((s, row, i) => s + row.reduce((t, x, j) => t + (i === j ? 0 : x * x), 0), 0);

// A 60 x 60 spectrum: three separated top eigenvalues, a bulk, and a few negative ones.
const spectrum = Array.from({ length: 60 }, (_, i) => (i === 0 ? 40 : i === 1 ? 25 : i === 2 ? 15 : i < 55 ? Math.sin(i) * 2 : -3 - i / 10));
const a = withSpectrum(spectrum, 101); // (seed 101: with seed 1 the first eigenvector would be the start vector of seed 1)
const exact = [...symmetricEigen(a).values].reverse();

describe('rademacher probes', () => {
  it('are +-1 with balanced signs, reproducible from the seed', () => {
    const z = rademacher(new Rng(4), 10_000);
    expect(z.every((x) => x === 1 || x === -1)).toBe(true);
    expect(Math.abs(z.reduce((s, x) => s + x, 0))).toBeLessThan(4 * Math.sqrt(10_000));
    expect(rademacher(new Rng(4), 100)).toEqual(z.subarray(0, 100));
    expect(rademacher(new Rng(5), 100)).not.toEqual(z.subarray(0, 100));
  });
});

describe('estimateTrace', () => {
  it('Hutchinson: within 4 standard errors of tr(A), with the standard error of the theory', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await estimateTrace(denseOperator(a), { seed, probes: 200 });
      expect(Math.abs(result.trace - trace(a))).toBeLessThan(4 * result.stdErr);
      const theory = Math.sqrt(hutchinsonVariance(a) / 200);
      expect(result.stdErr / theory).toBeGreaterThan(0.7);
      expect(result.stdErr / theory).toBeLessThan(1.3);
      expect(result.matvecs).toBe(200);
      expect(result.figures).toEqual({ trace: result.trace, traceStdErr: result.stdErr });
      expect(result.randomness).toEqual({ seed, probes: 200 });
    }
  });

  it('is reproducible with the same seed and differs with another', async () => {
    const one = await estimateTrace(denseOperator(a), { seed: 9, probes: 10 });
    expect((await estimateTrace(denseOperator(a), { seed: 9, probes: 10 })).samples).toEqual(one.samples);
    expect((await estimateTrace(denseOperator(a), { seed: 10, probes: 10 })).samples).not.toEqual(one.samples);
  });

  it('Hutch++: within 4 of its standard errors, far below Hutchinson on a decaying spectrum', async () => {
    const decaying = withSpectrum(Array.from({ length: 60 }, (_, i) => 100 * 0.7 ** i), 2);
    const op = denseOperator(decaying);
    const plusPlus = await estimateTrace(op, { seed: 3, probes: 60, variant: 'hutch++' });
    expect(op.applies).toBe(60);
    expect(plusPlus.matvecs).toBe(60);
    expect(plusPlus.sketch!.rank).toBe(20);
    expect(plusPlus.samples).toHaveLength(20);
    expect(Math.abs(plusPlus.trace - trace(decaying))).toBeLessThan(4 * plusPlus.stdErr);
    const plain = await estimateTrace(denseOperator(decaying), { seed: 3, probes: 60 });
    expect(plusPlus.stdErr).toBeLessThan(plain.stdErr / 100);
  });

  it('Hutch++ is exact once the sketch spans the space', async () => {
    const small = withSpectrum([3, -1, 2, 5, 0.5, 7], 3);
    const result = await estimateTrace(denseOperator(small), { seed: 1, probes: 21, variant: 'hutch++' });
    expect(result.sketch!.rank).toBe(6);
    expect(Math.abs(result.trace - trace(small))).toBeLessThan(1e-10);
    expect(result.stdErr).toBeLessThan(1e-10);
  });

  it('rejects bad budgets, and reports no standard error from a single probe', async () => {
    await expect(estimateTrace(denseOperator(a), { seed: 1, probes: 2, variant: 'hutch++' })).rejects.toThrow(ConfigError);
    await expect(estimateTrace(denseOperator(a), { seed: 1, probes: 0 })).rejects.toThrow(/probes/);
    const one = await estimateTrace(denseOperator(a), { seed: 1, probes: 1 });
    expect(Number.isNaN(one.stdErr)).toBe(true);
    expect(Object.keys(one.figures)).toEqual(['trace']);
  });
});

describe('lanczos', () => {
  it('keeps its basis orthonormal and reproduces T = Q^T A Q', async () => {
    const run = await lanczos(denseOperator(a), rademacher(new Rng(1), 60), 25);
    expect(run.matvecs).toBe(25);
    let worst = 0;
    run.basis.forEach((qi, i) => run.basis.forEach((qj, j) => (worst = Math.max(worst, Math.abs(dot(qi, qj) - (i === j ? 1 : 0))))));
    expect(worst).toBeLessThan(1e-12);
    const aq = (await Promise.all(run.basis.map((q) => denseOperator(a).apply(q)))) as Float64Array[];
    run.alpha.forEach((alpha, i) => expect(Math.abs(dot(run.basis[i]!, aq[i]!) - alpha)).toBeLessThan(1e-10));
    run.beta.forEach((beta, i) => expect(Math.abs(dot(run.basis[i + 1]!, aq[i]!) - beta)).toBeLessThan(1e-10));
  });

  it('stops at an invariant subspace (a matrix with 3 distinct eigenvalues)', async () => {
    const low = withSpectrum([2, 2, 2, 5, 5, -1, -1, -1], 4);
    const run = await lanczos(denseOperator(low), rademacher(new Rng(2), 8), 8);
    expect(run.alpha).toHaveLength(3);
  });
});

describe('topEigenvalues', () => {
  it('Lanczos: the top 3 eigenvalues, each within its residual of the exact one', async () => {
    const op = denseOperator(a);
    const result = await topEigenvalues(op, { seed: 1, k: 3, steps: 30 });
    expect(op.applies).toBe(33);
    result.values.forEach((value, i) => {
      expect(Math.abs(value - exact[i]!)).toBeLessThanOrEqual(result.residuals[i]! + 1e-12);
      expect(result.residuals[i]!).toBeLessThan(1e-6 * exact[0]!);
    });
    expect(result.figures).toMatchObject({ lambda1: result.values[0], lambda1Residual: result.residuals[0], lambda3: result.values[2] });
    expect(result.randomness).toEqual({ seed: 1, probes: 1 });
  });

  it("Lanczos 'magnitude' and 'largest' differ on an indefinite matrix", async () => {
    const indefinite = withSpectrum([3, 2, 1, 0.5, -0.2, -4, -6], 5);
    const largest = await topEigenvalues(denseOperator(indefinite), { seed: 2, k: 2 });
    const magnitude = await topEigenvalues(denseOperator(indefinite), { seed: 2, k: 2, which: 'magnitude' });
    expect(largest.values.map((v) => +v.toFixed(8))).toEqual([3, 2]);
    expect(magnitude.values.map((v) => +v.toFixed(8))).toEqual([-6, -4]);
  });

  it('power iteration with deflation: the top 3 by magnitude, within their residuals', async () => {
    const result = await topEigenvalues(denseOperator(a), { seed: 3, k: 3, method: 'power', tolerance: 1e-12, maxIterations: 500 });
    expect(result.converged).toEqual([true, true, true]);
    result.values.forEach((value, i) => {
      expect(Math.abs(value - exact[i]!)).toBeLessThanOrEqual(result.residuals[i]! + 1e-12);
      expect(Math.abs(value - exact[i]!)).toBeLessThan(1e-6);
    });
    expect(Math.abs(dot(result.vectors[0]!, result.vectors[1]!))).toBeLessThan(1e-6);
    expect(result.randomness.probes).toBe(3);
  });

  it('reports non-convergence of power iteration within maxIterations', async () => {
    const close = withSpectrum([10, 9.99, 1, 0.5, 0.1], 6);
    const result = await topEigenvalues(denseOperator(close), { seed: 1, method: 'power', maxIterations: 3, tolerance: 1e-14 });
    expect(result.converged).toEqual([false]);
    expect(result.matvecs).toBe(3);
  });

  it('rejects k outside [1, dim] and unknown methods', async () => {
    await expect(topEigenvalues(denseOperator(a), { seed: 1, k: 0 })).rejects.toThrow(ConfigError);
    await expect(topEigenvalues(denseOperator(a), { seed: 1, k: 61 })).rejects.toThrow(/\[1, 60\]/);
    await expect(topEigenvalues(denseOperator(a), { seed: 1, method: 'arnoldi' as 'power' })).rejects.toThrow(/arnoldi/);
  });
});

describe('spectralDensity (SLQ)', () => {
  it('matches Hutchinson on the same probes, and its density integrates to 1', async () => {
    const slq = await spectralDensity(denseOperator(a), { seed: 4, probes: 5, steps: 20 });
    const hutch = await estimateTrace(denseOperator(a), { seed: 4, probes: 5 });
    expect(Math.abs(slq.figures.trace! - hutch.trace)).toBeLessThan(1e-9 * Math.abs(hutch.trace) + 1e-9);
    expect(Math.abs(slq.figures.traceStdErr! - hutch.stdErr)).toBeLessThan(1e-9);
    const { x, y } = slq.density;
    const integral = y.reduce((s, v, i) => (i === 0 ? s : s + ((v + y[i - 1]!) / 2) * (x[i]! - x[i - 1]!)), 0);
    expect(Math.abs(integral - 1)).toBeLessThan(1e-3);
    expect(y.every((v) => v >= 0)).toBe(true);
    slq.weights.forEach((w) => expect(Math.abs(w.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12));
    expect(slq.matvecs).toBe(100);
    expect(slq.randomness).toEqual({ seed: 4, probes: 5 });
  });

  it('is a Gauss quadrature: exact for polynomial moments up to degree 2m - 1', async () => {
    const m = 6;
    const slq = await spectralDensity(denseOperator(a), { seed: 7, probes: 1, steps: m });
    const z = rademacher(new Rng(7), 60);
    // z^T A^j z / n from repeated products, against sum_k tau_k theta_k^j.
    let power = Float64Array.from(z);
    for (let j = 1; j <= 2 * m - 1; j++) {
      power = (await denseOperator(a).apply(power)) as Float64Array<ArrayBuffer>;
      const moment = dot(z, power) / 60;
      const quadrature = slq.nodes[0]!.reduce((s, theta, k) => s + slq.weights[0]![k]! * theta ** j, 0);
      expect(Math.abs(quadrature - moment)).toBeLessThan(1e-9 * 40 ** j);
    }
  });

  it('with m = dim the nodes are the eigenvalues: lambdaMax and lambdaMin exact', async () => {
    const slq = await spectralDensity(denseOperator(a), { seed: 1, probes: 2, steps: 60 });
    expect(Math.abs(slq.figures.lambdaMax! - exact[0]!)).toBeLessThan(1e-8);
    expect(Math.abs(slq.figures.lambdaMin! - exact[59]!)).toBeLessThan(1e-8);
    expect(Object.keys(slq.figures).sort()).toEqual(['lambdaMax', 'lambdaMin', 'trace', 'traceStdErr']);
  });

  it('rejects bad options', async () => {
    await expect(spectralDensity(denseOperator(a), { seed: 1, sigma: 0 })).rejects.toThrow(ConfigError);
    await expect(spectralDensity(denseOperator(a), { seed: 1, gridSize: 1 })).rejects.toThrow(/gridSize|grid/);
  });
});
