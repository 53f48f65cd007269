import { z } from 'zod';
import type { AugmentOptions } from './augment.js';
import { checkLrSettings, trainSettingsShape } from './train-settings.js';
import { type Dataset, type TrainableModel, type Schedule, parseOptions } from '@flatsparse/plugin-api';
import type { RunWarning } from '../faults/fault-records.js';
import type { FaultPolicy } from '../faults/metric-faults.js';
import type { EstimatorRunner, FlatnessRecord } from '../flatness/estimator-runner.js';
import type { PluginHost } from '@flatsparse/plugin-api/host';
import type { AdamWOptions } from './adamw.js';
import type { LrScheduleOptions } from './lr-schedule.js';
import type { NamedMetric } from './metric-figures.js';
import type { RecordSink } from './train-record.js';

/** Everything a training run is made of. Steps are 0-based indices; counts ("after k steps") are not. */
export interface TrainerOptions {
  /** The model to train (its parameters are updated in place). */
  readonly model: TrainableModel;
  /** Training split (minibatches) and held-out split (evaluation). */
  readonly dataset: Dataset;
  /** The run's plugins: events, loss terms, projections, saved states. */
  readonly host: PluginHost;
  /** Metrics measured at logging steps (train) and evaluations (those without gradients); figures are `${name}.${figure}`. */
  readonly metrics?: readonly NamedMetric[];
  /** Total number of optimisation steps (a resumed run continues up to this count). */
  readonly steps: number;
  /** Examples per training batch. */
  readonly batchSize: number;
  /** Learning rate: a constant, a schedule (step -> lr) or schedule options. */
  readonly lr: number | Schedule | LrScheduleOptions;
  /** AdamW options (betas, epsilon, weight decay, parameter groups). */
  readonly optimizer?: AdamWOptions;
  /** Clip gradients to this global L2 norm. */
  readonly clipNorm?: number;
  /** Label smoothing of the training loss, in [0, 1). */
  readonly labelSmoothing?: number;
  /** Augmentation of training images (random shifts); see AugmentOptions. */
  readonly augment?: AugmentOptions;
  /** Evaluate every this many steps (and always at the end). */
  readonly evalEvery?: number;
  /** Held-out batches per evaluation (default: the whole held-out split). */
  readonly evalBatches?: number;
  /** Examples per held-out batch (default: batchSize). */
  readonly evalBatchSize?: number;
  /** Read back and write a train record every this many steps (and at the end); default 10. */
  readonly logEvery?: number;
  /** Write a checkpoint every this many steps (and at the end); needs runDir. */
  readonly checkpointEvery?: number;
  /** Directory of the run (checkpoints go to `<runDir>/checkpoints`). */
  readonly runDir?: string;
  /** Keep only the newest this many checkpoints. */
  readonly keepCheckpoints?: number;
  /** Continue from this checkpoint directory (or from a run directory's latest checkpoint). */
  readonly resumeFrom?: string;
  /** Seed of the data order (default 0). The model's initialisation is the model's own business. */
  readonly seed?: number;
  /** Receives every train and held-out record. */
  readonly sink?: RecordSink;
  /** Stops the run after the current step when aborted (end reason 'stopped'). */
  readonly signal?: AbortSignal;
  /** What to do when a metric fails (default: stop the run); faults of other plugin kinds always stop it. */
  readonly faults?: FaultPolicy;
  /** Receives every warning (for example a metric disabled under faults.metrics 'disable'). */
  readonly onWarning?: (warning: RunWarning) => void;
  /** Flatness estimators run on their schedule (before the first step, every k steps, at checkpoints, at the end). */
  readonly estimators?: EstimatorRunner;
  /** Receives the records of every scheduled estimate. */
  readonly onFlatness?: (records: readonly FlatnessRecord[]) => void | Promise<void>;
}

const positiveInt = z.number().int().positive();
const isObject = (keys: readonly string[]) => (v: unknown) => typeof v === 'object' && v !== null && keys.every((k) => k in v);

const optionsSchema = z
  .object({
    model: z.custom<TrainableModel>(isObject(['forward', 'loss', 'probeShapes', 'params']), { message: 'must be a TrainableModel (forward, loss, probeShapes, params)' }),
    dataset: z.custom<Dataset>(isObject(['train', 'heldOut', 'classes']), { message: 'must be a Dataset (train, heldOut, classes)' }),
    host: z.custom<PluginHost>(isObject(['emit', 'emitSync', 'computeLossTerms', 'project']), { message: 'must be a PluginHost' }),
    metrics: z.array(z.object({ name: z.string().min(1), metric: z.custom<NamedMetric['metric']>(isObject(['compute'])) })).default([]),
    ...trainSettingsShape,
    lr: z.union([z.custom<Schedule>((v) => typeof v === 'function', { message: 'must be a schedule function' }), trainSettingsShape.lr.unwrap()]),
    // AdamW validates its own options (one schema, adamwOptionsSchema); a config's are checked before.
    optimizer: z.custom<AdamWOptions>((v) => typeof v === 'object' && v !== null).optional(),
    runDir: z.string().min(1).optional(),
    resumeFrom: z.string().min(1).optional(),
    seed: z.number().int().default(0),
    sink: z.custom<RecordSink>(isObject(['write'])).optional(),
    signal: z.custom<AbortSignal>(isObject(['aborted'])).optional(),
    faults: trainSettingsShape.faults.unwrap().default({ metrics: 'stop' }),
    onWarning: z.custom<(warning: RunWarning) => void>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
    estimators: z.custom<EstimatorRunner>(isObject(['due', 'run']), { message: 'must be an EstimatorRunner' }).optional(),
    onFlatness: z.custom<(records: readonly FlatnessRecord[]) => void>((v) => typeof v === 'function', { message: 'must be a function' }).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    checkLrSettings(o, ctx);
    if (o.checkpointEvery !== undefined && o.runDir === undefined) ctx.addIssue({ code: 'custom', path: ['runDir'], message: 'is required when checkpointEvery is set', input: o.runDir });
    const names = o.metrics.map((m) => m.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics'], message: `names a metric '${dup}' twice`, input: names });
  });

/** Trainer options with defaults applied. */
export type ResolvedTrainerOptions = z.output<typeof optionsSchema>;

/** Validates trainer options (ConfigError with the offending key under 'trainer.'). */
export function parseTrainerOptions(options: TrainerOptions): ResolvedTrainerOptions {
  return parseOptions(optionsSchema, options, { path: 'trainer', fix: 'see TrainerOptions for every option and its meaning.' });
}
