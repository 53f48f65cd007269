import type { Nd } from './reference-nd.js';

/**
 * Gradient of sum(f(xs) * w) with respect to the inputs listed in `which`, by central differences of
 * a float64 function, with a step h = 1e-6 * max(1, |x|). Truncation error is O(h^2) and rounding
 * error about 1e-16 * |sum| / h, so both stay near 1e-9 for well-scaled inputs: far below float32.
 */
export function finiteDifferenceGrad(f: (...xs: Nd[]) => Nd, xs: readonly Nd[], w: Nd, which: readonly number[], relStep = 1e-6): Nd[] {
  const weighted = (args: Nd[]): number => {
    const out = f(...args);
    if (out.data.length !== w.data.length) throw new RangeError(`finite differences: output has ${out.data.length} values, weights ${w.data.length}`);
    let s = 0;
    for (let i = 0; i < out.data.length; i++) s += out.data[i]! * w.data[i]!;
    return s;
  };
  return which.map((k) => {
    const x = xs[k]!;
    const grad = new Float64Array(x.data.length);
    const data = Float64Array.from(x.data);
    const args = xs.map((a, j) => (j === k ? { shape: x.shape, data } : a));
    for (let i = 0; i < data.length; i++) {
      const v = x.data[i]!;
      const h = relStep * Math.max(1, Math.abs(v));
      data[i] = v + h;
      const up = weighted(args);
      data[i] = v - h;
      const down = weighted(args);
      data[i] = v;
      grad[i] = (up - down) / (2 * h);
    }
    return { shape: x.shape, data: grad };
  });
}
