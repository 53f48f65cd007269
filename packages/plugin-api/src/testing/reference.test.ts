import { describe, expect, it } from 'vitest';
import { compareArrays } from './compare.js';
import { finiteDifferenceGrad } from './finite-difference.js';
import { checkDispatchOrder, type DispatchEntry } from './plugin-harness.js';
import { map, mean, nd, reduce, sum, zip } from './reference-nd.js';
import { concat, erf, gather, logSoftmax, matMul, oneHot, slice, softmax, transpose } from './reference-ops.js';

describe('float64 references', () => {
  it('erf matches tabulated values to 1e-13 (series and continued-fraction branches)', () => {
    const table: [number, number][] = [
      [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [2, 0.9953222650189527], [2.9, 0.9999589021219005], [3.5, 0.9999992569016276], [-1.5, -0.9661051464753108],
    ];
    for (const [x, v] of table) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-13);
  });

  it('matMul with transposes equals the explicit triple loop on transposed copies', () => {
    const a = nd([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = nd([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(Array.from(matMul(a, b).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matMul(transpose(a), b, true).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matMul(a, transpose(b), false, true).data)).toEqual([58, 64, 139, 154]);
    const batched = matMul(nd([2, 1, 2], [1, 2, 3, 4]), nd([2, 1], [5, 6]));
    expect(batched.shape).toEqual([2, 1, 1]);
    expect(Array.from(batched.data)).toEqual([17, 39]);
  });

  it('broadcasting, reductions, slicing, concat, gather and oneHot follow numpy semantics', () => {
    const x = nd([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(zip(x, nd([3], [10, 20, 30]), (u, v) => u + v).data)).toEqual([11, 22, 33, 14, 25, 36]);
    expect(Array.from(zip(x, nd([2, 1], [1, 2]), (u, v) => u * v).data)).toEqual([1, 2, 3, 8, 10, 12]);
    expect(sum(x, 0).shape).toEqual([3]);
    expect(Array.from(sum(x, -1, true).data)).toEqual([6, 15]);
    expect(Array.from(mean(x).data)).toEqual([3.5]);
    expect(Array.from(reduce(x, 1, false, -Infinity, Math.max).data)).toEqual([3, 6]);
    expect(Array.from(slice(x, [0, 1], [2, -1]).data)).toEqual([2, 3, 5, 6]);
    expect(Array.from(concat([x, nd([2, 1], [7, 8])], 1).data)).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
    expect(Array.from(transpose(nd([2, 3, 1], [1, 2, 3, 4, 5, 6]), [2, 1, 0]).data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(gather(x, nd([3], [1, 1, 0])).data)).toEqual([4, 5, 6, 4, 5, 6, 1, 2, 3]);
    expect(Array.from(oneHot(nd([2], [2, 0]), 3).data)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('softmax rows sum to 1 and logSoftmax is its log', () => {
    const x = nd([2, 3], [1, -2, 0.5, 100, 101, 99]);
    const s = softmax(x);
    expect(Array.from(sum(s, -1).data).every((v) => Math.abs(v - 1) < 1e-14)).toBe(true);
    const l = logSoftmax(x);
    expect(Math.max(...Array.from(zip(map(s, Math.log), l, (u, v) => Math.abs(u - v)).data))).toBeLessThan(1e-12);
  });

  it('finite differences match the analytic gradient of sum(x^3 * w)', () => {
    const x = nd([4], [0.3, -1.2, 2.5, 0.01]);
    const w = nd([4], [1, -2, 0.5, 3]);
    const [g] = finiteDifferenceGrad((a) => map(a, (v) => v ** 3), [x], w, [0]);
    x.data.forEach((v, i) => expect(Math.abs(g!.data[i]! - 3 * v * v * w.data[i]!)).toBeLessThan(1e-7));
  });
});

describe('compareArrays', () => {
  it('bounds the error by atol + rtol * max|expected|', () => {
    const c = compareArrays([1, 2.001, 3], [1, 2, 3], { atol: 0, rtol: 1e-3 });
    expect(c.tolerance).toBeCloseTo(3e-3, 15);
    expect(c.maxAbsError).toBeCloseTo(1e-3, 12);
    expect(c.worstIndex).toBe(1);
    expect(c.passed).toBe(true);
    expect(compareArrays([1, 2.01, 3], [1, 2, 3], { atol: 0, rtol: 1e-3 }).passed).toBe(false);
  });

  it('matches NaN with NaN and equal infinities, and fails on any other non-finite value or a length mismatch', () => {
    expect(compareArrays([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity], { atol: 0, rtol: 0 }).passed).toBe(true);
    expect(compareArrays([NaN], [0], { atol: 1, rtol: 1 }).passed).toBe(false);
    expect(compareArrays([Infinity], [1], { atol: 1, rtol: 1 }).maxAbsError).toBe(Infinity);
    expect(compareArrays([1, 2], [1], { atol: 1, rtol: 1 }).passed).toBe(false);
  });
});

describe('checkDispatchOrder', () => {
  const entry = (emission: number, role: DispatchEntry['role'], bucket: DispatchEntry['bucket']): DispatchEntry => ({ emission, event: 'afterStep', role, bucket });

  it('accepts a dispatch in bucket order with the probes around the plugin, a pre hook included', () => {
    const log = [entry(1, 'before', 'pre'), entry(1, 'plugin', 'pre'), entry(1, 'after', 'pre'), entry(1, 'before', 'normal'), entry(1, 'after', 'normal'), entry(1, 'before', 'post'), entry(1, 'after', 'post'), entry(2, 'before', 'pre')];
    expect(checkDispatchOrder(log)).toEqual([]);
  });

  it('reports a plugin listener that runs before the probe ordered before it, or in the wrong bucket', () => {
    expect(checkDispatchOrder([entry(1, 'plugin', 'normal'), entry(1, 'before', 'normal')])).toHaveLength(1);
    expect(checkDispatchOrder([entry(1, 'before', 'normal'), entry(1, 'plugin', 'pre')])[0]).toMatch(/plugin 'pre' listener ran after the before 'normal'/);
    expect(checkDispatchOrder([entry(1, 'after', 'post'), entry(1, 'plugin', 'post')])).toHaveLength(1);
  });
});
