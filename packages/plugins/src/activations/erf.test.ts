import { describe, expect, it } from 'vitest';
import { erf, normalCdf, normalDensity } from './erf.js';

// Reference values of erf from Abramowitz & Stegun table 7.1 / high-precision tables (17 digits).
const TABLE: readonly [number, number][] = [
  [0, 0],
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [3, 0.9999779095030014],
  [4, 0.9999999845827421],
];

describe('erf (float64 reference)', () => {
  it.each(TABLE)('erf(%f) matches tabulated values', (x, value) => {
    expect(Math.abs(erf(x) - value)).toBeLessThanOrEqual(2e-15 * Math.max(1, value));
    expect(erf(-x)).toBe(-erf(x));
  });

  it('is 1 far in the tail and propagates NaN', () => {
    expect(erf(7)).toBe(1);
    expect(erf(-30)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
  });

  it('has derivative 2/sqrt(pi) exp(-x^2) (central differences)', () => {
    for (const x of [-2.5, -0.7, 0, 0.3, 1.9]) {
      const h = 1e-5;
      const fd = (erf(x + h) - erf(x - h)) / (2 * h);
      expect(fd).toBeCloseTo((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), 9);
    }
  });

  it('gives Phi and phi consistent with each other', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    const h = 1e-5;
    expect((normalCdf(0.4 + h) - normalCdf(0.4 - h)) / (2 * h)).toBeCloseTo(normalDensity(0.4), 9);
  });
});
