import type { TrainerRecord } from '@flatsparse/core';

/** Figures shown on the progress line, by the start of their name. */
const SHOWN: readonly [string, string][] = [
  ['activation-sparsity.value', 'act-sparsity'],
  ['derivative-sparsity.value', 'deriv-sparsity'],
];

/**
 * A one-line progress display: step, bar, loss, sparsities, ETA. On a terminal the line is rewritten
 * in place; otherwise (CI, pipes) one line per logged step is printed.
 */
export class Progress {
  private readonly started = Date.now();
  private lastHeldOut: TrainerRecord | undefined;

  constructor(
    private readonly totalSteps: number,
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly label = '',
  ) {}

  /** Shows a record. */
  update(record: TrainerRecord): void {
    if (record.split === 'heldOut') {
      this.lastHeldOut = record;
      return;
    }
    const done = record.step + 1;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.totalSteps - done) : 0;
    const width = 20;
    const filled = Math.round((done / this.totalSteps) * width);
    const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
    const figures = SHOWN.map(([name, short]) => (record.figures[name] ? ` ${short} ${record.figures[name]!.mean.toFixed(3)}` : '')).join('');
    const held = this.lastHeldOut?.accuracy !== undefined ? ` held-out acc ${(this.lastHeldOut.accuracy * 100).toFixed(1)}%` : '';
    const line = `${this.label}step ${done}/${this.totalSteps} ${bar} loss ${record.loss.toFixed(4)}${figures}${held} ETA ${formatSeconds(eta)}`;
    this.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Ends the line (terminal mode). */
  finish(): void {
    if (this.tty) this.write('\n');
  }
}

/** 75 -> '1m15s'. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
