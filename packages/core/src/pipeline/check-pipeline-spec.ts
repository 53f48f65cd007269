import { z } from 'zod';
import { DataError, type Dataset, parseOptions } from '@flatsparse/plugin-api';

/** Where the shapes of a pipeline spec are documented (the fix of every error below). */
const SEE = 'see PipelineSpec in @flatsparse/core (README.md shows a pipeline written in code).';

const typedArray = z.custom<Float32Array | Int32Array>((v) => v instanceof Float32Array || v instanceof Int32Array, 'a Float32Array or an Int32Array');
const dims = z.array(z.number().int().nonnegative());
const splitSchema = z.object({ inputs: typedArray, inputShape: dims, targets: z.custom<Int32Array>((v) => v instanceof Int32Array, 'an Int32Array'), targetShape: dims, size: z.number().int().nonnegative() });

/** The shape a Dataset must have (checked on what a `dataset` function returns, and on a Dataset given as it is). */
const datasetSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['image', 'text']),
  classes: z.number().int().positive(),
  train: splitSchema,
  heldOut: splitSchema,
  source: z.string(),
});

/** The learning rate: a number >= 0, a schedule function, or schedule options (checked by the schedule's own schema). */
const lrSchema = z.union([
  z.number().finite().nonnegative().describe('a learning rate >= 0 (usually 1e-4 to 1e-2)'),
  z.custom<(step: number) => number>((v) => typeof v === 'function', 'a schedule function').describe('a schedule function (step) => lr'),
  z.object({ kind: z.string() }).catchall(z.unknown()).describe("schedule options { kind: 'constant' | 'linearWarmup' | 'cosine' | 'inverseSqrt', lr, ... }"),
]);

/**
 * The members of a pipeline every run reads before anything else: checked first, so that a spec built in
 * code fails with a coded error naming the key (never a TypeError from deep inside the run). The members'
 * own contents (plugin objects, model options, train options) are checked where they are read.
 */
const partsSchema = z.object({
  plugins: z.array(z.object({ name: z.string() }).passthrough().describe('a Plugin')).describe('an array of plugins (for example builtinPlugins.get(\'relu\')!.factory())'),
  dataset: z.union([z.custom<() => Promise<Dataset>>((v) => typeof v === 'function', 'a function returning a Dataset').describe('a function returning a Dataset'), z.object({ name: z.string() }).passthrough().describe('a Dataset')]),
  model: z.object({ kind: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }).passthrough(),
  activation: z.string().min(1),
  backends: z.array(z.unknown()),
});

const specSchema = partsSchema.extend({
  train: z.object({ steps: z.number().int().positive(), batchSize: z.number().int().positive(), lr: lrSchema }).passthrough(),
});

/** Checks the members of composed pipeline parts (E_CONFIG_INVALID at the key, for example 'dataset'). */
export function checkPipelineParts(parts: unknown): void {
  parseOptions(partsSchema, parts ?? {}, { path: '', fix: SEE });
  const dataset = (parts as { dataset: unknown }).dataset;
  if (typeof dataset !== 'function') checkDataset(dataset, 'dataset');
}

/**
 * Checks a pipeline spec before any work starts: the parts, and a `train` section with steps, a batch size
 * and a learning rate that is not negative (E_CONFIG_INVALID at the key: 'train', 'train.lr', 'plugins').
 */
export function checkPipelineSpec(spec: unknown): void {
  parseOptions(specSchema, spec ?? {}, { path: '', fix: SEE });
  const dataset = (spec as { dataset: unknown }).dataset;
  if (typeof dataset !== 'function') checkDataset(dataset, 'dataset');
}

/** Checks that a value is a Dataset (what a `dataset` function returned, or a Dataset given as it is); E_DATA otherwise. */
export function checkDataset(value: unknown, where: string): Dataset {
  const parsed = datasetSchema.safeParse(value);
  if (parsed.success) return value as Dataset;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const name = typeof (value as { name?: unknown } | null)?.name === 'string' ? (value as { name: string }).name : where;
  throw new DataError(name, `${where} is not a valid Dataset: ${key ? `'${key}' ` : ''}${issue.message}.`, {
    received: value === null || typeof value !== 'object' ? value : Object.keys(value),
    expected: 'a Dataset { name, kind: image | text, classes, train, heldOut, source } (or a function returning one)',
    fix: 'pass a data set made by @flatsparse/data (for example syntheticImageDataset()) or a function returning one.',
  });
}
