/**
 * The error function in float64, for the plain-JS references of GELU (JavaScript has no Math.erf).
 * Uses the everywhere-convergent series with positive terms only (no cancellation):
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{k>=0} 2^k x^(2k+1) / (1*3*5*...*(2k+1)).
 * Relative error about 1e-15; beyond |x| = 6, erf(x) = sign(x) to double precision.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return -erf(-x);
  if (x >= 6) return 1;
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; k < 500; k++) {
    term *= (2 * x2) / (2 * k + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/** Standard normal density phi(x) = exp(-x^2/2) / sqrt(2 pi), float64. */
export function normalDensity(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal distribution function Phi(x) = (1 + erf(x / sqrt 2)) / 2, float64. */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}
