import { describe, expect, it } from 'vitest';
import { ConfigError } from '@flatsparse/plugin-api';
import { lrSchedule } from './lr-schedule.js';

describe('lrSchedule', () => {
  it('constant gives the same rate at every step', () => {
    const s = lrSchedule({ kind: 'constant', lr: 3e-3 });
    for (const step of [0, 1, 17, 100000]) expect(s(step)).toBe(3e-3);
  });

  it('linear warm-up ramps in (step + 1) / W, then stays at the peak', () => {
    const s = lrSchedule({ kind: 'linearWarmup', lr: 0.5, warmupSteps: 4 });
    expect([0, 1, 2, 3, 4, 50].map(s)).toEqual([0.125, 0.25, 0.375, 0.5, 0.5, 0.5]);
  });

  it('cosine matches the closed form, with warm-up and a final fraction', () => {
    const base = 0.01;
    const w = 10;
    const total = 110;
    const f = 0.1;
    const s = lrSchedule({ kind: 'cosine', lr: base, warmupSteps: w, totalSteps: total, finalFraction: f });
    for (let step = 0; step < 130; step++) {
      const q = Math.min(Math.max((step - w) / (total - w), 0), 1);
      const expected = step < w ? (base * (step + 1)) / w : base * (f + (1 - f) * 0.5 * (1 + Math.cos(Math.PI * q)));
      expect(s(step)).toBeCloseTo(expected, 15);
    }
    expect(s(w)).toBeCloseTo(base, 15);
    expect(s(w + 50)).toBeCloseTo(base * (f + (1 - f) * 0.5), 15);
    expect(s(total)).toBeCloseTo(base * f, 15);
  });

  it('cosine takes its total steps from the trainer when not given, and rejects totals within warm-up', () => {
    const s = lrSchedule({ kind: 'cosine', lr: 1 }, 100);
    expect(s(50)).toBeCloseTo(0.5, 12);
    expect(() => lrSchedule({ kind: 'cosine', lr: 1, warmupSteps: 10 }, 10)).toThrow(ConfigError);
    expect(() => lrSchedule({ kind: 'cosine', lr: 1 })).toThrow(/totalSteps/);
  });

  it('inverse square root (T5) peaks at warm-up and decays as 1/sqrt(step)', () => {
    const s = lrSchedule({ kind: 'inverseSqrt', lr: 0.01, warmupSteps: 100 });
    for (const step of [0, 9, 99, 100, 399, 9999]) {
      const expected = 0.01 * Math.min((step + 1) / 100, Math.sqrt(100 / (step + 1)));
      expect(s(step)).toBeCloseTo(expected, 15);
    }
    expect(s(399)).toBeCloseTo(0.005, 15);
    const t5 = lrSchedule({ kind: 'inverseSqrt', lr: 0.01, warmupSteps: 100, warmupShape: 'constant' });
    expect(t5(0)).toBe(0.01);
    expect(t5(99)).toBe(0.01);
    expect(t5(9999)).toBeCloseTo(0.001, 15);
  });

  it('rejects invalid options with a ConfigError naming the key', () => {
    expect(() => lrSchedule({ kind: 'constant', lr: -1 })).toThrow(/lr\.lr/);
    expect(() => lrSchedule({ kind: 'linearWarmup', lr: 1, warmupSteps: 1.5 })).toThrow(ConfigError);
    expect(() => lrSchedule({ kind: 'inverseSqrt', lr: 1, warmupSteps: 0 })).toThrow(/warmupSteps/);
    expect(() => lrSchedule({ kind: 'nope', lr: 1 } as never)).toThrow(ConfigError);
    expect(() => lrSchedule({ kind: 'constant', lr: 1, extra: 2 } as never)).toThrow(/extra/);
  });
});
