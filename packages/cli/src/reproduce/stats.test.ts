import { describe, expect, it } from 'vitest';
import { incompleteBeta, studentTwoSidedP, welchTTest } from './stats.js';

// References: tables of Student's t (two-sided critical values), closed forms of the incomplete beta
// function, and the tail of the t density integrated numerically (Simpson's rule), independent of the
// continued fraction the code uses.

/** Two-sided tail 2 * integral from |t| to infinity of the t density with df degrees of freedom, by Simpson's rule on u = 1 / (1 + x). */
function tailByIntegration(t: number, df: number): number {
  const logC = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  const density = (x: number) => Math.exp(logC - ((df + 1) / 2) * Math.log(1 + (x * x) / df));
  // x = |t| + s / (1 - s), s in [0, 1): dx = ds / (1 - s)^2
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

describe("Welch's t-test", () => {
  it('gives the tabulated two-sided p at the critical values of Student t', () => {
    expect(studentTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(12.7062, 1)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(4.604095, 4)).toBeCloseTo(0.01, 5);
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 10);
  });

  it('the incomplete beta function has its closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a', () => {
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.4, 3, 1)).toBeCloseTo(0.064, 12);
    expect(incompleteBeta(0.5, 2.5, 2.5)).toBeCloseTo(0.5, 12);
  });

  it('computes t and the Welch-Satterthwaite df by hand, and p as the integrated tail', () => {
    // Equal variances (2.333e-4 each): t = 0.05 / sqrt(2 * 2.333e-4 / 3) = 4.0089, df = 4.
    const r = welchTTest([0.61, 0.63, 0.6], [0.55, 0.56, 0.58]);
    expect(r.t).toBeCloseTo(0.05 / Math.sqrt((2 * (7e-4 / 3)) / 3), 6);
    expect(r.df).toBeCloseTo(4, 6);
    expect(r.p).toBeCloseTo(tailByIntegration(r.t, r.df), 5);
    // Unequal sizes and variances: fractional df.
    const u = welchTTest([0.61, 0.63, 0.6, 0.7], [0.55, 0.56, 0.58]);
    const [va, vb] = [0.0061 / 3 / 4, 7e-4 / 3 / 3]; // sample variances / n: squared deviations 0.0061 (mean 0.635) and 7e-4 (mean 0.5633)
    expect(u.df).toBeCloseTo((va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2), 6);
    expect(u.p).toBeCloseTo(tailByIntegration(u.t, u.df), 5);
  });

  it('is NaN with fewer than two seeds, and 0 for a difference without noise', () => {
    expect(welchTTest([1], [2, 3]).p).toBeNaN();
    expect(welchTTest([1, 1], [2, 2]).p).toBe(0);
  });
});
