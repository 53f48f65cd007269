import { describe, expect, it } from 'vitest';
import { LossGrowthWatch } from './loss-growth.js';

const train = (step: number, loss: number) => ({ step, split: 'train', loss });

describe('LossGrowthWatch', () => {
  it('flags once the first loss 100 times the reference (ln(classes), or a smaller first loss) is logged, finite', () => {
    const watch = new LossGrowthWatch(Math.log(2));
    expect(watch.observe(train(1, 0.7))).toBeUndefined();
    expect(watch.observe(train(3, 60))).toBeUndefined();
    expect(watch.observe({ step: 3, split: 'heldOut', loss: 1e6 })).toBeUndefined();
    expect(watch.observe(train(5, Number.POSITIVE_INFINITY))).toBeUndefined();
    const warning = watch.observe(train(7, 80));
    expect(warning).toMatchObject({ code: 'W_LOSS_GROWTH', step: 7 });
    expect(warning!.message).toMatch(/grew 1\.2e\+2-fold .*80\.00 at step 7/);
    expect(watch.flag).toEqual({ step: 7, loss: 80, reference: Math.log(2), factor: 80 / Math.log(2) });
    expect(watch.observe(train(9, 1e4))).toBeUndefined();
  });

  it('takes ln(classes) as the reference when the first logged loss already diverged, and never flags a run that stays put', () => {
    const diverged = new LossGrowthWatch(Math.log(2));
    expect(diverged.observe(train(1, 370))?.code).toBe('W_LOSS_GROWTH');
    const calm = new LossGrowthWatch(Math.log(10));
    for (let s = 0; s < 50; s++) expect(calm.observe(train(s, 2.3 + Math.sin(s) * 2))).toBeUndefined();
  });
});
