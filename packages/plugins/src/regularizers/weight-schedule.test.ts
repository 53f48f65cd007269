import { describe, expect, it } from 'vitest';
import { prosparseSchedule, weightSchedule } from './weight-schedule.js';

const S = Math.SQRT1_2; // sin(pi/4)

describe('weightSchedule', () => {
  it("'constant' gives the weight at every step", () => {
    const w = weightSchedule(0.3, { kind: 'constant' });
    for (const t of [0, 1, 17, 1e6]) expect(w(t)).toBe(0.3);
  });

  it("'linear' ramps 0 -> weight over `steps`, then stays", () => {
    const w = weightSchedule(2, { kind: 'linear', steps: 40 });
    expect(w(0)).toBe(0);
    expect(w(10)).toBeCloseTo(0.5, 15);
    expect(w(30)).toBeCloseTo(1.5, 15);
    expect(w(40)).toBe(2);
    expect(w(400)).toBe(2);
  });

  it("'prosparse' multiplies the stage values by the weight", () => {
    const stages = [{ steps: 100, value: 1 }, { steps: 60, value: 3 }];
    const w = weightSchedule(0.5, { kind: 'prosparse', stages });
    const shape = prosparseSchedule(stages);
    for (const t of [0, 13, 50, 99, 100, 130, 159, 160, 1000]) expect(w(t)).toBeCloseTo(0.5 * shape(t), 15);
  });
});

describe('prosparseSchedule (closed forms)', () => {
  // Stages end at T1 = 100, T2 = 150, T3 = 350 with values 1, 3, 2 (value_0 = 0).
  const s = prosparseSchedule([
    { steps: 100, value: 1 },
    { steps: 50, value: 3 },
    { steps: 200, value: 2 },
  ]);

  it('starts at 0 and is 0 before the first step', () => {
    expect(s(0)).toBe(0);
    expect(s(-5)).toBe(0);
  });

  it('follows value_{i-1} + (value_i - value_{i-1}) sin(pi/2 (t - T_{i-1}) / (T_i - T_{i-1})) in each stage', () => {
    expect(s(50)).toBeCloseTo(S, 14); // 0 + 1 * sin(pi/4)
    expect(s(100 / 3)).toBeCloseTo(0.5, 14); // sin(pi/6) = 1/2
    expect(s(100)).toBeCloseTo(1, 14);
    expect(s(125)).toBeCloseTo(1 + 2 * S, 14);
    expect(s(150)).toBeCloseTo(3, 14);
    expect(s(250)).toBeCloseTo(3 - S, 14);
    expect(s(150 + 200 / 3)).toBeCloseTo(2.5, 14);
  });

  it('is constant after the last stage', () => {
    expect(s(350)).toBe(2);
    expect(s(10_000)).toBe(2);
  });

  it('is continuous at stage boundaries and monotone within each stage', () => {
    for (const boundary of [100, 150, 350]) expect(Math.abs(s(boundary - 1e-9) - s(boundary))).toBeLessThan(1e-6);
    for (const [from, to, sign] of [[0, 100, 1], [100, 150, 1], [150, 350, -1]] as const) {
      for (let t = from; t < to - 1; t++) expect(sign * (s(t + 1) - s(t))).toBeGreaterThan(0);
    }
  });

  it('is 0 everywhere without stages', () => {
    expect(prosparseSchedule([])(10)).toBe(0);
  });
});
