import { datasetConfigSchema } from '@flatsparse/data';
import { trainSettingsSchema } from '@flatsparse/core';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * A plugin named in a config: 'name', or { name, options }. Under `plugins` the name may also be a
 * third-party package ('flatsparse-plugin-x') or a path ('./local/plugin.js', relative to the config
 * file); under `activation` and `metrics` it may name what a plugin under `plugins` contributes.
 */
export const pluginRefSchema = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() }).strict(),
]);
/** A plugin reference as written in a config. */
export type PluginRef = z.infer<typeof pluginRefSchema>;

/**
 * A flatness estimator named in a config, and when it runs: 'name' (at the end only) or
 * { name, options, every, atEnd, atCheckpoints }. The name is a built-in estimator plugin or an
 * estimator contributed by a plugin under `plugins`.
 */
export const estimatorRefSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1),
      options: z.record(z.string(), z.unknown()).optional(),
      every: positiveInt.optional(),
      atEnd: z.boolean().optional(),
      atStart: z.boolean().optional(),
      atCheckpoints: z.boolean().optional(),
    })
    .strict(),
]);
/** An estimator reference as written in a config. */
export type EstimatorRef = z.infer<typeof estimatorRefSchema>;

/** The fixed batch every flatness estimate uses. */
const flatnessSchema = z
  .object({
    batchSize: positiveInt.optional(),
    split: z.enum(['heldOut', 'train']).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

/**
 * The `model:` section: `kind` names a model architecture (a built-in model plugin's, or one a plugin
 * under `plugins:` contributes); its other keys are that architecture's options, checked by it once the
 * data is known (unknown kinds are refused then too, listing the registered ones).
 */
const modelSchema = z.object({ kind: z.string().min(1).describe('the name of a model architecture (vit, gpt, or one a listed plugin contributes)') }).catchall(z.unknown());

/** The `train:` section: the engine's own schema of the trainer's data settings (one schema; see trainSettingsShape). */
const trainSchema = trainSettingsSchema;

/** Metrics measured when a config names none. */
export const DEFAULT_METRICS = ['activation-sparsity', 'derivative-sparsity', 'dead-neurons', 'augmented-flatness'] as const;

/**
 * A pipeline config file (JSON or YAML). Every plugin is named; unknown keys are errors. The model's
 * own keys are checked by the architecture `model.kind` names, once the data is known.
 */
export const pipelineConfigSchema = z
  .object({
    name: z.string().min(1).default('run'),
    seed: z.number().int().default(0),
    backend: z.string().min(1).default('auto'),
    model: modelSchema,
    activation: pluginRefSchema.default('relu'),
    data: datasetConfigSchema,
    metrics: z.array(pluginRefSchema).default([...DEFAULT_METRICS]),
    plugins: z.array(pluginRefSchema).default([]),
    estimators: z.array(estimatorRefSchema).default([]),
    flatness: flatnessSchema.optional(),
    train: trainSchema,
    init: z.object({ weights: z.string().min(1) }).strict().optional(),
    output: z.object({ dir: z.string().min(1).optional(), saveModel: z.boolean().default(true) }).strict().default({ saveModel: true }),
  })
  .strict();

/** A config as written (defaults optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
/** A config with defaults applied (what runs and what is stored as config.json). */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
