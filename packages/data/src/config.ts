import { ConfigError, parseOptions, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { imageArrayDataset, imageArrayOptionsSchema } from './image-array.js';
import { imageFolderDataset, imageFolderOptionsSchema } from './image-folder.js';
import { mnistDataset, mnistOptionsSchema } from './mnist.js';
import { mobyDickDataset, mobyDickOptionsSchema } from './moby-dick.js';
import { syntheticImageDataset, syntheticImageOptionsSchema } from './synthetic-image.js';
import { syntheticTextDataset, syntheticTextOptionsSchema } from './synthetic-text.js';
import { textFileDataset, textFileOptionsSchema } from './text-files.js';
import { textDataset, textOptionsSchema } from './text.js';
import { tokenFileDataset, tokenFileOptionsSchema } from './token-file.js';

const FIX = 'See the data source cards in the @flatsparse/data README.';

/** One config schema per data source, keyed by the `source` name used in configs. */
export const datasetConfigVariants = {
  mnist: mnistOptionsSchema.safeExtend({ source: z.literal('mnist') }),
  'moby-dick': mobyDickOptionsSchema.safeExtend({ source: z.literal('moby-dick') }),
  'synthetic-image': syntheticImageOptionsSchema.safeExtend({ source: z.literal('synthetic-image') }),
  'synthetic-text': syntheticTextOptionsSchema.safeExtend({ source: z.literal('synthetic-text') }),
  npy: imageArrayOptionsSchema.safeExtend({
    source: z.literal('npy'),
    inputs: z.string().min(1, 'must be a path to a .npy file'),
    labels: z.string().min(1, 'must be a path to a .npy file'),
    heldOutInputs: z.string().min(1).optional(),
    heldOutLabels: z.string().min(1).optional(),
  }),
  'text-files': textFileOptionsSchema.safeExtend({ source: z.literal('text-files') }),
  'image-folder': imageFolderOptionsSchema.safeExtend({ source: z.literal('image-folder') }),
  'token-file': tokenFileOptionsSchema.safeExtend({ source: z.literal('token-file') }),
  text: textOptionsSchema.safeExtend({ source: z.literal('text') }),
} as const;

/** Names of the data sources a config may ask for. */
export type DataSourceName = keyof typeof datasetConfigVariants;

/** The names of every data source, in documentation order. */
export const DATA_SOURCES = Object.keys(datasetConfigVariants) as DataSourceName[];

/** The `data` section of a pipeline config: a union discriminated on `source` (embed it in bigger schemas). */
export const datasetConfigSchema = z.discriminatedUnion('source', [
  datasetConfigVariants.mnist,
  datasetConfigVariants['moby-dick'],
  datasetConfigVariants['synthetic-image'],
  datasetConfigVariants['synthetic-text'],
  datasetConfigVariants.npy,
  datasetConfigVariants['text-files'],
  datasetConfigVariants['image-folder'],
  datasetConfigVariants['token-file'],
  datasetConfigVariants.text,
]);

/** A data config as written in a config file (defaults not yet applied). */
export type DatasetConfig = z.input<typeof datasetConfigSchema>;

/**
 * Builds the data set a config describes. A wrong config throws ConfigError whose `path` names the
 * offending key under `path` (default 'data', for example 'data.seqLen').
 */
export async function datasetFromConfig(config: unknown, path = 'data'): Promise<Dataset> {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(path, 'the data config must be an object with a `source` key.', { received: config, expected: `{ source: ${DATA_SOURCES.map((s) => `'${s}'`).join(' | ')}, ... }`, fix: FIX });
  }
  const source = (config as { source?: unknown }).source;
  if (typeof source !== 'string' || !Object.hasOwn(datasetConfigVariants, source)) {
    throw new ConfigError(at('source'), 'unknown or missing data source.', { received: source, expected: `one of ${DATA_SOURCES.join(', ')}`, fix: FIX });
  }
  const parsed = parseOptions(datasetConfigVariants[source as DataSourceName], config, { path: path, fix: FIX }) as z.output<typeof datasetConfigSchema>;
  switch (parsed.source) {
    case 'mnist': {
      const { source: _, ...options } = parsed;
      return mnistDataset(options, path);
    }
    case 'moby-dick': {
      const { source: _, ...options } = parsed;
      return mobyDickDataset(options, path);
    }
    case 'synthetic-image': {
      const { source: _, ...options } = parsed;
      return syntheticImageDataset(options, path);
    }
    case 'synthetic-text': {
      const { source: _, ...options } = parsed;
      return syntheticTextDataset(options, path);
    }
    case 'npy': {
      const { source: _, ...options } = parsed;
      return imageArrayDataset(options, path);
    }
    case 'text-files': {
      const { source: _, ...options } = parsed;
      return textFileDataset(options, path);
    }
    case 'image-folder': {
      const { source: _, ...options } = parsed;
      return imageFolderDataset(options, path);
    }
    case 'token-file': {
      const { source: _, ...options } = parsed;
      return tokenFileDataset(options, path);
    }
    case 'text': {
      const { source: _, ...options } = parsed;
      return textDataset(options, path);
    }
  }
}
