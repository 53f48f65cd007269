import { z } from 'zod';
import { adamwOptionsSchema } from './adamw.js';
import { augmentSchema } from './augment.js';
import { lrScheduleSchema } from './lr-schedule.js';

const positiveInt = z.number().int().positive();

/** A learning rate as data: a constant, or schedule options checked by `checkLrSettings`. */
const lrData = z
  .union([z.number().nonnegative().finite(), z.object({ kind: z.string() }).catchall(z.unknown()).describe("a schedule { kind: 'constant' | 'linearWarmup' | 'cosine' | 'inverseSqrt', lr, warmupSteps, ... }")])
  .default(1e-3);

/**
 * The trainer's settings that are plain data: the one schema behind `TrainerOptions` (the trainer adds
 * what only code can pass: the model, the data, the host, callbacks, a schedule function) and behind a
 * config file's `train:` section (the CLI uses `trainSettingsSchema` as it is). A new train option is
 * one line here and one member of TrainerOptions.
 */
export const trainSettingsShape = {
  steps: positiveInt,
  batchSize: positiveInt.default(32),
  lr: lrData,
  optimizer: adamwOptionsSchema.default({}),
  clipNorm: z.number().positive().finite().optional(),
  labelSmoothing: z.number().min(0).lt(1).default(0),
  augment: augmentSchema.optional(),
  evalEvery: positiveInt.optional(),
  evalBatches: z.number().int().nonnegative().optional(),
  evalBatchSize: positiveInt.optional(),
  logEvery: positiveInt.default(10),
  checkpointEvery: positiveInt.optional(),
  keepCheckpoints: positiveInt.optional(),
  /** 'disable': a metric plugin that throws or returns NaN/Inf is dropped with a warning and training continues; 'stop' (default): the run stops. */
  faults: z.object({ metrics: z.enum(['stop', 'disable']).default('stop') }).strict().optional(),
};

/**
 * Checks schedule options in `lr` against the schedule schema, at 'lr.<key>' (a union would only say
 * "invalid input" at 'lr'), and a cosine schedule's total against the run's steps, at 'lr.totalSteps'.
 */
export function checkLrSettings(o: { readonly lr?: unknown; readonly steps?: unknown }, ctx: z.RefinementCtx): void {
  const lr = o.lr;
  if (typeof lr !== 'object' || lr === null) return;
  const parsed = lrScheduleSchema.safeParse(lr);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['lr', ...issue.path] } as never);
    return;
  }
  const s = parsed.data;
  if (s.kind !== 'cosine') return;
  const total = s.totalSteps ?? (typeof o.steps === 'number' ? o.steps : undefined);
  if (total !== undefined && total <= s.warmupSteps) {
    ctx.addIssue({ code: 'custom', path: ['lr', 'totalSteps'], message: `must be greater than warmupSteps (${s.warmupSteps}): the cosine schedule needs more total steps than warm-up steps`, input: total });
  }
}

/** The `train:` section of a config file (and TrainSettings as data): trainSettingsShape, strict, with checkLrSettings. */
export const trainSettingsSchema = z.object(trainSettingsShape).strict().superRefine(checkLrSettings);

/** Train settings as written (defaults optional). */
export type TrainSettingsInput = z.input<typeof trainSettingsSchema>;
