/**
 * The exact-interval-count suite (shared by every backend's test file): the sparsity metrics count
 * entries in intervals with float arithmetic (step(x - c) for x > c) on the plain-op path, or with the
 * fused kernels of a backend that has them (native); either way the counts must be exact: on interval
 * ends, their float32 neighbours, signed zeros, subnormals and infinities, for closed, open,
 * half-infinite, symmetric, empty and overlapping intervals, against a plain loop with float32 bounds
 * and against the core's comparison-based maskInIntervals.
 */
import { Rng, interval, intervalCounts, maskInIntervals, maskedRowSumSquares, outsideRowSumSquares, type Interval } from '@flatsparse/plugin-api';
import { activationSparsityOf, deadNeuronsOf, derivativeSparsityOf } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';


/** The next float32 above (dir 1) or below (dir -1) a float32 value. */
function nextF32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 1.401298464324817e-45;
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  i[0]! += (x > 0) === (dir > 0) ? 1 : -1;
  return f[0]!;
}

/**
 * Plain reference: x in [lo, hi] (open ends strict), with the bounds rounded to float32 as on the
 * device. An infinite end imposes no bound, as in maskInIntervals (so -Infinity lies in (-inf, 0]).
 */
function inside(x: number, iv: Interval, tolerance: number): boolean {
  const lo = Math.fround(iv.lo - tolerance);
  const hi = Math.fround(iv.hi + tolerance);
  const aboveLo = !Number.isFinite(lo) || (iv.loClosed === false ? x > lo : x >= lo);
  const belowHi = !Number.isFinite(hi) || (iv.hiClosed === false ? x < hi : x <= hi);
  return aboveLo && belowHi;
}

const CASES: { name: string; intervals: Interval[]; tolerance: number }[] = [
  { name: 'ReLU rest [0, 0] widened by 1e-6 (symmetric)', intervals: [interval(0, 0)], tolerance: 1e-6 },
  { name: 'ReLU flat (-inf, 0]', intervals: [interval(-Infinity, 0, false, true)], tolerance: 0 },
  { name: 'open (-inf, 0)', intervals: [interval(-Infinity, 0, false, false)], tolerance: 0 },
  { name: 'shifted rest [0.3, 0.3] widened by 1e-6', intervals: [interval(0.3, 0.3)], tolerance: 1e-6 },
  { name: 'closed [-1.5, 2.25]', intervals: [interval(-1.5, 2.25)], tolerance: 0 },
  { name: 'open (-1.5, 1.5) (symmetric)', intervals: [interval(-1.5, 1.5, false, false)], tolerance: 0 },
  { name: 'half-open (0.1, 0.7]', intervals: [interval(0.1, 0.7, false, true)], tolerance: 0 },
  { name: '[2, inf)', intervals: [interval(2, Infinity, true, false)], tolerance: 0 },
  { name: 'the whole line', intervals: [interval(-Infinity, Infinity, false, false)], tolerance: 0 },
  { name: 'empty (1, 1)', intervals: [interval(1, 1, false, false)], tolerance: 0 },
  { name: 'overlapping [-1, 0.5] and [0, 2]', intervals: [interval(-1, 0.5), interval(0, 2)], tolerance: 0 },
  { name: 'disjoint (-inf, -1) and (1, inf)', intervals: [interval(-Infinity, -1, false, false), interval(1, Infinity, false, false)], tolerance: 0 },
  { name: 'no interval', intervals: [], tolerance: 0 },
];

/** Edge values of every case (ends and their neighbours), special values and random normals, as float32. */
function values(n: number): number[] {
  const edges = new Set<number>([0, -0, Infinity, -Infinity, 3e38, -3e38, 1.401298464324817e-45, -1.401298464324817e-45]);
  for (const { intervals, tolerance } of CASES) {
    for (const iv of intervals) {
      for (const end of [iv.lo - tolerance, iv.hi + tolerance]) {
        if (!Number.isFinite(end)) continue;
        const e = Math.fround(end);
        for (const v of [e, nextF32(e, 1), nextF32(e, -1), -e]) edges.add(v);
      }
    }
  }
  const rng = new Rng(3);
  const out = [...edges];
  while (out.length < n) out.push(Math.fround(rng.normal() * 2));
  return out.slice(0, n);
}

/** Registers the suite for the active backend, on [B, T, n] tensors (large ones split across native threads). */
export function describeIntervalCounts(label: string, available: boolean, [B, T, n]: [number, number, number] = [2, 6, 16]): void {
 describe.skipIf(!available)(`sparsity metrics: exact interval counts (${label}, [${B}, ${T}, ${n}])`, () => {
  const data = values(B * T * n);
  for (const { name, intervals, tolerance } of CASES) {
    it(`${name}: fraction inside equals the plain count and maskInIntervals`, async () => {
      const x = tf.tensor3d(data, [B, T, n]);
      const expected = data.filter((v) => intervals.some((iv) => inside(v, iv, tolerance))).length / data.length;
      const fast = activationSparsityOf(x, intervals, tolerance);
      const viaMask = tf.tidy(() => tf.mean(tf.cast(maskInIntervals(x, intervals, tolerance), 'float32')));
      const [got, mask] = [(await fast.data())[0]!, (await viaMask.data())[0]!];
      expect(got).toBe(Math.fround(expected));
      expect(got).toBe(mask);
      if (tolerance === 0) expect((await tf.tidy(() => derivativeSparsityOf(x, intervals)).data())[0]).toBe(got);
      tf.dispose([x, fast, viaMask]);
    });

    it(`${name}: dead neurons equal the plain per-column check`, async () => {
      // Columns 0..3 hold values inside the first interval (when there is one) on every token.
      const first = intervals.find((iv) => data.some((v) => inside(v, iv, tolerance)));
      const fill = first === undefined ? undefined : data.find((v) => inside(v, first, tolerance));
      const cells = data.map((v, i) => (fill !== undefined && i % n < 4 ? fill : v));
      const x = tf.tensor3d(cells, [B, T, n]);
      let dead = 0;
      for (let j = 0; j < n; j++) {
        let all = true;
        for (let r = 0; r < B * T; r++) all &&= intervals.some((iv) => inside(cells[r * n + j]!, iv, tolerance));
        if (all) dead++;
      }
      const before = tf.memory().numTensors;
      const got = deadNeuronsOf(x, intervals, tolerance);
      expect((await got.data())[0]).toBe(Math.fround(dead / n));
      got.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it(`${name}: masked row sums of squares equal the plain loop`, async () => {
      const x = tf.tensor3d(data, [B, T, n]);
      const rng = new Rng(7);
      const u = Float32Array.from(data, () => Math.fround(rng.normal()));
      const v = Float32Array.from(data, () => Math.fround(rng.normal()));
      const got = await tf.tidy(() => maskedRowSumSquares(tf.tensor3d(u, [B, T, n]), tf.tensor3d(v, [B, T, n]), x, intervals, tolerance)).data();
      for (const r of [0, Math.floor((B * T) / 2), B * T - 1]) {
        let want = 0;
        for (let j = 0; j < n; j++) {
          const k = r * n + j;
          if (!intervals.some((iv) => inside(data[k]!, iv, tolerance))) want += Math.fround(u[k]! * v[k]!) ** 2;
        }
        expect(Math.abs(got[r]! - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
      }
      x.dispose();
    });

    it(`${name}: outsideRowSumSquares (u = 1), and the counts of x from the same pass`, async () => {
      const x = tf.tensor3d(data, [B, T, n]);
      const rng = new Rng(11);
      const v = Float32Array.from(data, () => Math.fround(rng.normal()));
      const before = tf.memory().numTensors;
      const [sums, insideCount, everOutside] = tf.tidy(() => {
        const s = outsideRowSumSquares(tf.tensor3d(v, [B, T, n]), x, intervals, tolerance);
        // Asked after the masked pass: on a backend with the fused kernel these come from that pass.
        const counts = intervalCounts(x, intervals, tolerance);
        return [s, counts.inside, counts.everOutside];
      });
      const [got, gotInside, gotEver] = await Promise.all([sums.data(), insideCount.data(), everOutside.data()]);
      for (let r = 0; r < B * T; r++) {
        let want = 0;
        for (let j = 0; j < n; j++) {
          const k = r * n + j;
          if (!intervals.some((iv) => inside(data[k]!, iv, tolerance))) want += v[k]! ** 2;
        }
        expect(Math.abs(got[r]! - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
      }
      const out = data.map((value) => !intervals.some((iv) => inside(value, iv, tolerance)));
      expect(gotInside[0]).toBe(out.filter((o) => !o).length);
      for (let j = 0; j < n; j++) expect(gotEver[j]).toBe(out.some((o, k) => o && k % n === j) ? 1 : 0);
      tf.dispose([sums, insideCount, everOutside]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  }

  it('a NaN entry gives a NaN fraction, NaN dead-neuron figure and NaN row sum', async () => {
    const x = tf.tensor3d(data.map((v, i) => (i === 5 ? Number.NaN : v)), [B, T, n]);
    const rest = [interval(0, 0)];
    const [sparsity, dead, masked] = await Promise.all([activationSparsityOf(x, rest, 1e-6).data(), deadNeuronsOf(x, rest, 1e-6).data(), tf.tidy(() => maskedRowSumSquares(x, x, x, rest)).data()]);
    expect(Number.isNaN(sparsity[0]!)).toBe(true);
    expect(Number.isNaN(dead[0]!)).toBe(true);
    expect(Number.isNaN(masked[0]!)).toBe(true);
    expect(Number.isNaN(masked[1]!)).toBe(B * T === 1);
    // (everOutside's NaN is not asserted: a plain-op max pool may skip NaN; dead neurons use inside for it.)
    const [unitSums, afterPass] = tf.tidy(() => [outsideRowSumSquares(x, x, rest), intervalCounts(x, rest).inside]);
    const [unit, ever] = await Promise.all([unitSums.data(), afterPass.data()]);
    expect(Number.isNaN(unit[0]!)).toBe(true);
    expect(Number.isNaN(ever[0]!)).toBe(true);
    tf.dispose([unitSums, afterPass]);
    x.dispose();
  });
 });
}
