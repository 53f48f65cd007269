import type { RunWarning } from './fault-records.js';

/** Train loss above this multiple of the reference loss flags the run (two orders of magnitude). */
export const LOSS_GROWTH_FACTOR = 100;

/** The flag a run gets when its loss grew by orders of magnitude while staying finite. */
export interface LossGrowth {
  readonly step: number;
  readonly loss: number;
  /** The loss it is compared with: the smaller of a fresh model's expected loss and the first logged train loss. */
  readonly reference: number;
  readonly factor: number;
}

/**
 * Watches the logged train losses of a run: the reference is the smaller of `initial` (a fresh
 * classifier's loss, ln(classes)) and the first logged loss (which may already have diverged), and the
 * first loss at least LOSS_GROWTH_FACTOR times larger while finite flags the run once (a diverging run
 * that the non-finite guard does not stop). Fed in order, resumed runs included.
 */
export class LossGrowthWatch {
  private reference: number | undefined;
  private flagged: LossGrowth | undefined;

  constructor(private readonly initial: number = Number.POSITIVE_INFINITY) {}

  /** The flag, once raised. */
  get flag(): LossGrowth | undefined {
    return this.flagged;
  }

  /** Looks at one record; returns a warning when this record raises the flag. */
  observe(record: { readonly step: number; readonly split: string; readonly loss: number }): RunWarning | undefined {
    if (record.split !== 'train' || !Number.isFinite(record.loss) || this.flagged !== undefined) return undefined;
    if (this.reference === undefined) this.reference = Math.min(this.initial, record.loss);
    if (!(this.reference > 0) || record.loss < LOSS_GROWTH_FACTOR * this.reference) return undefined;
    const factor = record.loss / this.reference;
    this.flagged = { step: record.step, loss: record.loss, reference: this.reference, factor };
    return {
      code: 'W_LOSS_GROWTH',
      event: 'train loss',
      step: record.step,
      message: `the train loss grew ${factor.toExponential(1)}-fold while staying finite: ${record.loss.toPrecision(4)} at step ${record.step}, against a reference of ${this.reference.toPrecision(4)} (ln(classes), a fresh model's loss, or the first logged loss if smaller). The run is diverging.`,
      action: 'training goes on; flagged in run.json (lossGrowth) and the report. Lower the learning rate, clip gradients (train.clipNorm) or check the weight decay',
    };
  }
}
