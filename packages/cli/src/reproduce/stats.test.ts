import { describe, expect, it } from 'vitest';
import {
  bootstrapMeanInterval,
  cohensDz,
  holmAdjust,
  incompleteBeta,
  minimumDetectableEffect,
  normalCdf,
  oneSampleTTest,
  pairedTTest,
  ranks,
  signFlipTest,
  spearman,
  studentCritical,
  studentTwoSidedP,
  tTestPower,
} from './stats.js';

// References here are independent of the code's algorithms: tables of Student's t and the normal
// distribution, closed forms, the tail of the t density integrated numerically, explicit enumeration
// and Monte Carlo simulation. test/cli/stats-reference.test.ts checks the same functions against SciPy
// and statsmodels.

/** Two-sided tail 2 * integral from |t| to infinity of the t density with df degrees of freedom, by Simpson's rule. */
function tailByIntegration(t: number, df: number): number {
  const logC = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  const density = (x: number) => Math.exp(logC - ((df + 1) / 2) * Math.log(1 + (x * x) / df));
  const f = (s: number) => (s >= 1 ? 0 : density(Math.abs(t) + s / (1 - s)) / (1 - s) ** 2);
  const n = 20000;
  let sum = f(0) + f(1);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(i / n);
  return (2 * sum) / (3 * n);
}

/** ln Gamma by Stirling's series with recurrence (independent of the code's Lanczos form). */
function lgamma(x: number): number {
  let shift = 0;
  while (x < 20) {
    shift -= Math.log(x);
    x += 1;
  }
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

/** A seeded uniform generator for the simulations (xorshift, not the code's mulberry32). */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
const gaussian = (u: () => number) => () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

describe("Student's t and the normal distribution", () => {
  it('gives the tabulated two-sided p at the critical values, and the critical values back', () => {
    expect(studentTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(12.7062, 1)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(4.604095, 4)).toBeCloseTo(0.01, 5);
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 10);
    expect(studentCritical(0.05, 9)).toBeCloseTo(2.262157, 5);
    expect(studentCritical(0.05, 2)).toBeCloseTo(4.302653, 5);
    expect(studentCritical(0.01, 30)).toBeCloseTo(2.749996, 5);
    expect(studentTwoSidedP(1.7, 3.5)).toBeCloseTo(tailByIntegration(1.7, 3.5), 5);
  });

  it('the incomplete beta function has its closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a', () => {
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.4, 3, 1)).toBeCloseTo(0.064, 12);
    expect(incompleteBeta(0.5, 2.5, 2.5)).toBeCloseTo(0.5, 12);
  });

  it('Phi matches the table of the standard normal', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 9);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 9);
    expect(normalCdf(3)).toBeCloseTo(0.998650102, 9);
    expect(normalCdf(-6)).toBeCloseTo(9.8658765e-10, 15);
  });
});

describe('the paired t-test', () => {
  it('is the one-sample t-test of the differences, by hand', () => {
    const a = [0.61, 0.63, 0.6, 0.7];
    const b = [0.55, 0.56, 0.58, 0.6];
    const d = [0.06, 0.07, 0.02, 0.1];
    const m = 0.0625;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / 3);
    const r = pairedTTest(a, b);
    expect(r.mean).toBeCloseTo(m, 12);
    expect(r.sd).toBeCloseTo(sd, 12);
    expect(r.t).toBeCloseTo(m / (sd / 2), 9);
    expect(r.df).toBe(3);
    expect(r.p).toBeCloseTo(tailByIntegration(r.t, 3), 6);
    // 95 % interval: mean -+ t_{0.975, 3} sd / sqrt(n), t_{0.975, 3} = 3.182446.
    expect(r.ci[0]).toBeCloseTo(m - (3.182446 * sd) / 2, 5);
    expect(r.ci[1]).toBeCloseTo(m + (3.182446 * sd) / 2, 5);
    expect(cohensDz(d)).toBeCloseTo(m / sd, 12);
  });

  it('is NaN below two pairs, p = 0 for a difference without noise, and refuses unequal lengths', () => {
    expect(oneSampleTTest([1]).p).toBeNaN();
    expect(pairedTTest([2, 3], [1, 2]).p).toBe(0);
    expect(() => pairedTTest([1, 2], [1])).toThrow(RangeError);
  });

  it('its 95 % interval covers the true mean in 95 % of simulated experiments', () => {
    const u = xorshift(7);
    const z = gaussian(u);
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const ci = oneSampleTTest(Array.from({ length: 5 }, () => 0.3 + 2 * z())).ci;
      if (ci[0] <= 0.3 && 0.3 <= ci[1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.94);
    expect(covered / trials).toBeLessThan(0.96);
  });
});

describe("Holm's adjustment", () => {
  it('multiplies the i-th smallest p by m - i + 1, keeps the order monotone, caps at 1 and skips NaN', () => {
    // Sorted: 0.01 (x4 = 0.04), 0.02 (x3 = 0.06), 0.03 (x2 = 0.06), 0.5 (x1 = 0.5).
    expect(holmAdjust([0.03, 0.5, 0.01, 0.02])).toEqual([0.06, 0.5, 0.04, 0.06].map((x) => expect.closeTo(x, 12) as unknown as number));
    // Monotone: sorted 0.01 (x3 = 0.03), 0.04 (x2 = 0.08), 0.045 (x1 = 0.045, raised to 0.08); NaN is not counted in m.
    const adjusted = holmAdjust([0.045, Number.NaN, 0.04, 0.01]);
    expect(adjusted[0]).toBeCloseTo(0.08, 12);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.08, 12);
    expect(adjusted[3]).toBeCloseTo(0.03, 12);
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1]);
  });
});

describe('resampling', () => {
  it('the sign-flip test counts the sign assignments at least as extreme, by enumeration', () => {
    // Differences 1, 2, 3: sums over the 8 sign assignments are +-6, +-4, +-2, +-0: |sum| >= 6 in 2 of 8.
    expect(signFlipTest([1, 2, 3])).toBeCloseTo(2 / 8, 12);
    expect(signFlipTest([1, -2, 3])).toBeCloseTo(6 / 8, 12);
    // Six positive differences: only the all-plus and all-minus assignments reach the observed |sum|.
    expect(signFlipTest([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])).toBeCloseTo(2 / 64, 12);
  });

  it('the percentile bootstrap is reproducible and matches the exact bootstrap distribution of a small sample', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.2];
    const interval = bootstrapMeanInterval(values, 0.9, 20000, 3);
    expect(bootstrapMeanInterval(values, 0.9, 20000, 3)).toEqual(interval);
    // Every one of the 5^5 equally likely resamples, enumerated.
    const means: number[] = [];
    for (let k = 0; k < 5 ** 5; k++) {
      let s = 0;
      for (let i = 0, r = k; i < 5; i++, r = Math.floor(r / 5)) s += values[r % 5]!;
      means.push(s / 5);
    }
    means.sort((x, y) => x - y);
    const q = (p: number) => means[Math.round(p * (means.length - 1))]!;
    expect(interval[0]).toBeCloseTo(q(0.05), 2);
    expect(interval[1]).toBeCloseTo(q(0.95), 2);
  });
});

describe('power of the paired t-test', () => {
  it('matches the rejection rate of simulated experiments', () => {
    const u = xorshift(11);
    const z = gaussian(u);
    for (const [effect, n, alpha] of [[0.8, 10, 0.05], [0.5, 6, 0.05], [1.2, 10, 0.05 / 6]] as const) {
      let rejected = 0;
      const trials = 6000;
      for (let i = 0; i < trials; i++) if (oneSampleTTest(Array.from({ length: n }, () => effect + z())).p < alpha) rejected++;
      expect(Math.abs(rejected / trials - tTestPower(effect, n, alpha))).toBeLessThan(0.02);
    }
  });

  it('is alpha at no effect and rises with n; the detectable effect gives the asked power', () => {
    expect(tTestPower(0, 10, 0.05)).toBeCloseTo(0.05, 4);
    expect(tTestPower(0.5, 20, 0.05)).toBeGreaterThan(tTestPower(0.5, 10, 0.05));
    const d = minimumDetectableEffect(10, 0.05, 0.8);
    expect(tTestPower(d, 10, 0.05)).toBeCloseTo(0.8, 6);
    expect(d).toBeGreaterThan(0.9);
    expect(d).toBeLessThan(1.0);
  });
});

describe('rank correlation', () => {
  it('ranks ties by their average and gives rho = 1 for any increasing curve', () => {
    expect(ranks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
    expect(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 100])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: ranks of y = 2, 1, 4, 3, 5 -> sum d^2 = 4.
    expect(spearman([1, 2, 3, 4, 5], [0.2, 0.1, 0.4, 0.3, 0.5])).toBeCloseTo(1 - (6 * 4) / (5 * 24), 12);
  });
});
