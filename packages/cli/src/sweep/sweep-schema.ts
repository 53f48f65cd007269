import { z } from 'zod';
import { RECIPES } from '../reproduce/tasks.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const patch = z.record(z.string(), z.unknown());

/**
 * One axis of a sweep, in one of three forms:
 * - a list of values for the config key named like the axis (`seed: [0, 1, 2]`, `train.lr: [0.01, 0.003]`);
 * - `{ key, values }`: a list of values for another key, or for several keys at once (`key: [seed, data.seed]`);
 * - named config patches, merged into the base config (`arm: { vanilla: {}, m3: { activation: j-squared-relu } }`).
 */
export const axisSchema = z.union([
  z.array(scalar).min(1),
  z.object({ key: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]), values: z.array(scalar).min(1) }).strict(),
  z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name of letters, digits, dots, dashes and underscores'), patch).refine((r) => Object.keys(r).length > 0, 'at least one named patch'),
]);
/** One axis as written. */
export type AxisInput = z.infer<typeof axisSchema>;

/** `preset: reproduce`: the tasks and arms of `flatsparse reproduce` (its axes task, arm and seed name them). */
export const presetSchema = z
  .object({
    name: z.literal('reproduce'),
    recipe: z.enum(RECIPES).default('authors'),
    quick: z.boolean().default(false),
    steps: z.number().int().positive().optional(),
    ramp: z.number().positive().optional(),
  })
  .strict();

/** Slurm options (flags of `sweep submit` override them). */
export const slurmOptionsSchema = z
  .object({
    partition: z.string().min(1).optional(),
    gres: z.string().min(1).optional(),
    time: z.string().min(1).optional(),
    /** At most this many array tasks at once (`--array=...%K`). */
    throttle: z.number().int().positive().optional(),
    /** Extra sbatch options, one per entry (`--mem=16G`, `--account=lab`). */
    options: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** BullMQ options. */
export const bullmqOptionsSchema = z
  .object({
    queue: z.string().regex(/^[A-Za-z0-9_-]+$/).default('flatsparse'),
    attempts: z.number().int().positive().default(3),
    /** First retry delay in ms (exponential backoff). */
    backoff: z.number().int().nonnegative().default(5000),
  })
  .strict();

/** A sweep file: a base config (or the reproduce preset), axes, where the runs go and how they run. */
export const sweepSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name of letters, digits, dots, dashes and underscores').optional(),
    /** Output folder, relative to the sweep file (default: runs/<name> under the working directory). */
    out: z.string().min(1).optional(),
    /** The base config: a config object, or a config file's path relative to the sweep file. */
    base: z.union([z.string().min(1), patch]).optional(),
    preset: presetSchema.optional(),
    axes: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an axis name (a config key such as train.lr, or a name such as arm)'), axisSchema),
    /**
     * Combinations left out of the grid: a run is dropped when, for every axis an entry names, its
     * label is the value (or one of the values) given, as a CI matrix's exclude. For example
     * `[{ arm: [m1-input, m2], seed: [3, 4] }]` keeps seeds 3 and 4 for the other arms only.
     */
    exclude: z.array(z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).refine((r) => Object.keys(r).length > 0, 'an entry names at least one axis')).default([]),
    /** Each run's directory under `out`: a template of {id} and axis names (default '{id}'). */
    runDir: z.string().min(1).default('{id}'),
    /** The reference arm of the tables (default: the first value of the arm axis). */
    reference: z.string().min(1).optional(),
    /** How the tables judge a run: held-out accuracy or loss (default: accuracy where the runs have it). */
    quality: z.enum(['accuracy', 'loss']).optional(),
    local: z.object({ jobs: z.number().int().positive().default(1) }).strict().optional(),
    slurm: slurmOptionsSchema.optional(),
    bullmq: bullmqOptionsSchema.optional(),
  })
  .strict()
  .refine((s) => s.base !== undefined || s.preset !== undefined, { message: 'a sweep needs a base config (base: path or object) or preset: { name: reproduce }', path: ['base'] });

/** A sweep file with defaults applied. */
export type SweepFile = z.output<typeof sweepSchema>;
