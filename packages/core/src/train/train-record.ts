import * as tf from '@tensorflow/tfjs-core';
import type { FigureSummary } from './metric-figures.js';

/** What the trainer writes to its sink: one record per logging step (train) or evaluation (heldOut). */
export interface TrainerRecord {
  /** The 0-based step index whose loss is reported (for heldOut: the last step before evaluating). */
  readonly step: number;
  /** Which split the figures come from. */
  readonly split: 'train' | 'heldOut';
  /** Mean loss: the model loss of that step's batch (train, with label smoothing), or over the held-out batches. */
  readonly loss: number;
  /** Fraction of correct argmax predictions (per token for sequences); held-out records only. */
  readonly accuracy?: number;
  /** The learning rate of that step. */
  readonly lr: number;
  /** `${metric}.${figure}` -> per-layer values and their mean. */
  readonly figures: Readonly<Record<string, FigureSummary>>;
  /** Each weighted loss term of that step (train records only). */
  readonly lossTerms: Readonly<Record<string, number>>;
  /** Milliseconds since the run started. */
  readonly wallMs: number;
}

/** Receives every record (a JSONL file writer, a progress printer, an array in tests). */
export interface RecordSink {
  write(record: TrainerRecord): void | Promise<void>;
  /** Called before every checkpoint is written: persist what was written so far, so no checkpoint is newer than the history on disk. */
  flush?(): void | Promise<void>;
}

/**
 * Reads several tensors back in one transfer: they are flattened and concatenated on the device, the
 * result is read with one asynchronous `data()`, and the values are split again by name. The inputs
 * are not disposed (the caller owns them).
 */
export async function readTogether(named: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, number[]>> {
  const entries = [...named];
  if (entries.length === 0) return new Map();
  const packed = tf.tidy(() => tf.concat(entries.map(([, t]) => tf.reshape(tf.cast(t, 'float32'), [-1]))));
  let values: Float32Array;
  try {
    values = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  const out = new Map<string, number[]>();
  let at = 0;
  for (const [name, t] of entries) {
    out.set(name, Array.from(values.subarray(at, at + t.size)));
    at += t.size;
  }
  return out;
}
