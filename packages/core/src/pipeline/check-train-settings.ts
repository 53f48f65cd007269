import { type Dataset, ConfigError } from '@flatsparse/plugin-api';
import type { RunWarning } from '../faults/fault-records.js';
import { scheduleOf } from '../train/lr-schedule.js';
import type { TrainSettings } from './run-pipeline.js';

/** AdamW's default weight decay (AdamWOptions.weightDecay). */
const DEFAULT_WEIGHT_DECAY = 0.01;

/** The largest learning rate the schedule reaches within the run's steps. */
export function peakLearningRate(lr: TrainSettings['lr'], steps: number): number {
  if (typeof lr === 'number') return lr;
  const schedule = scheduleOf(lr, steps);
  let peak = 0;
  for (let step = 0; step < steps; step++) peak = Math.max(peak, schedule(step));
  return peak;
}

/**
 * Numbers that cannot give a meaningful run, refused before any work starts: decoupled weight decay
 * multiplies every decayed weight by (1 - lr x weightDecay) each step, so lr x weightDecay >= 1 zeroes
 * the weights or flips their sign every step (weights grow without bound while the loss stays finite).
 * It fails (E_CONFIG_INVALID) rather than warns: no such run is worth its compute. Checked for the
 * default decay and every parameter group, at the schedule's peak learning rate.
 */
export function checkTrainSettings(train: TrainSettings): void {
  const peak = peakLearningRate(train.lr, train.steps);
  const groups = [{ path: 'train.optimizer.weightDecay', lrMultiplier: 1, weightDecay: train.optimizer?.weightDecay ?? DEFAULT_WEIGHT_DECAY }];
  (train.optimizer?.groups ?? []).forEach((g, i) => {
    if (g.weightDecay !== undefined || g.lrMultiplier !== undefined) {
      groups.push({ path: `train.optimizer.groups.${i}`, lrMultiplier: g.lrMultiplier ?? 1, weightDecay: g.weightDecay ?? train.optimizer?.weightDecay ?? DEFAULT_WEIGHT_DECAY });
    }
  });
  for (const g of groups) {
    const product = peak * g.lrMultiplier * g.weightDecay;
    if (product >= 1) {
      throw new ConfigError(
        g.path,
        `the learning rate (peak ${peak}${g.lrMultiplier === 1 ? '' : ` x lrMultiplier ${g.lrMultiplier}`}) times weightDecay ${g.weightDecay} is ${product}: decoupled weight decay multiplies each decayed weight by (1 - lr x weightDecay) = ${1 - product} every step, which zeroes the weights or flips their sign and lets them grow without bound.`,
        { received: product, expected: 'lr x weightDecay < 1 (usually 1e-5 to 1e-2)', fix: `lower the weight decay below ${1 / (peak * g.lrMultiplier)} (0.01 is AdamW's default) or the learning rate.` },
      );
    }
  }
}

/**
 * Warnings about settings that run but are likely mistakes: a batch larger than the training split
 * repeats examples within every batch (a warning, not an error: it still trains, as full-batch
 * training with duplicates, and tiny smoke tests use it).
 */
export function trainSettingWarnings(train: TrainSettings, dataset: Dataset): RunWarning[] {
  const size = dataset.train.size;
  if (train.batchSize <= size) return [];
  return [
    {
      code: 'W_BATCH_EXCEEDS_SPLIT',
      event: 'train.batchSize',
      message: `train.batchSize ${train.batchSize} is larger than the training split of '${dataset.name}' (${size} examples): every batch repeats examples.`,
      action: `training goes on; set train.batchSize <= ${size} (or use more data) for batches of distinct examples`,
    },
  ];
}
