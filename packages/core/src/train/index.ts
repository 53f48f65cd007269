/** The training loop of @flatsparse/core: sampler, AdamW, schedules, clipping, checkpoints and the Trainer. */
export { AdamW, adamwOptionsSchema, type AdamWOptions, type AdamWUpdateOptions } from './adamw.js';
export { BatchSampler, makeBatch, sequentialBatches, type BatchSamplerState } from './batch-sampler.js';
export {
  CHECKPOINT_FORMAT,
  checkpointName,
  checkpointsDir,
  pruneCheckpoints,
  readCheckpoint,
  restoreParams,
  writeCheckpoint,
  type CheckpointState,
  type LoadedCheckpoint,
} from './checkpoint.js';
export { clipByGlobalNorm, clipScale, globalNorm, type ClippedGrads } from './clip-grad.js';
export { evaluate, type EvaluateSplitOptions, type EvaluationResult } from './evaluate.js';
export { lrSchedule, lrScheduleSchema, scheduleOf, type LrScheduleOptions } from './lr-schedule.js';
export { computeFigures, summariseFigure, type FigureSummary, type MetricErrorHandler, type NamedMetric } from './metric-figures.js';
export { NonFiniteGuard, type NonFiniteStep } from './non-finite-guard.js';
export { DEFAULT_NO_DECAY, resolveGroup, type DecayRule, type ParamGroup, type ResolvedGroup } from './param-groups.js';
export { readTogether, type RecordSink, type TrainerRecord } from './train-record.js';
export { trainStep, type StepContext, type StepMeasures } from './train-step.js';
export { Trainer, type TrainProgress, type TrainSummary } from './trainer.js';
export { parseTrainerOptions, type TrainerOptions } from './trainer-options.js';
export { checkLrSettings, trainSettingsSchema, trainSettingsShape, type TrainSettingsInput } from './train-settings.js';
export { augmentSchema, shiftImages, shiftOf, type AugmentOptions } from './augment.js';
