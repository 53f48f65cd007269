import { ConfigError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { DATA_SOURCES, datasetConfigSchema, datasetFromConfig } from './config.js';

async function configError(config: unknown, path?: string): Promise<ConfigError> {
  const error = await (path === undefined ? datasetFromConfig(config) : datasetFromConfig(config, path)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('datasetFromConfig', () => {
  it('builds each generated and packaged source, applying defaults', async () => {
    const image = await datasetFromConfig({ source: 'synthetic-image', trainSize: 30, heldOutSize: 10, imageSize: 5 });
    expect(image).toMatchObject({ name: 'synthetic-image', kind: 'image', classes: 10 });
    expect(image.train.inputShape).toEqual([5, 5, 1]);
    const text = await datasetFromConfig({ source: 'synthetic-text', seqLen: 7, trainSize: 5, heldOutSize: 2 });
    expect(text).toMatchObject({ name: 'synthetic-text', classes: 16 });
    expect(text.train.inputShape).toEqual([7]);
    const moby = await datasetFromConfig({ source: 'moby-dick', seqLen: 16, trainSize: 20, heldOutSize: 5 });
    expect(moby).toMatchObject({ name: 'moby-dick', classes: 256 });
    expect(moby.train.size).toBe(20);
    const mnist = await datasetFromConfig({ source: 'mnist', trainSize: 20, heldOutSize: 10 });
    expect(mnist.train.inputShape).toEqual([28, 28, 1]);
    expect(mnist.heldOut.size).toBe(10);
  });

  it('gives the same data as calling the factory with the same options', async () => {
    const a = await datasetFromConfig({ source: 'synthetic-text', seed: 9, trainSize: 10, heldOutSize: 3 });
    const b = await datasetFromConfig({ source: 'synthetic-text', seed: 9, trainSize: 10, heldOutSize: 3 });
    expect(b.train.inputs).toEqual(a.train.inputs);
  });

  it('points at the offending key under data', async () => {
    expect((await configError({ source: 'moby-dick', seqLen: 0 })).path).toBe('data.seqLen');
    expect((await configError({ source: 'moby-dick', seqLen: 'long' })).path).toBe('data.seqLen');
    expect((await configError({ source: 'mnist', trainSize: 2.5 })).path).toBe('data.trainSize');
    expect((await configError({ source: 'synthetic-text', vocabSize: 4, branching: 6 })).path).toBe('data.branching');
    expect((await configError({ source: 'text-files', paths: ['a.txt', ''] })).path).toBe('data.paths.1');
    expect((await configError({ source: 'text-files', seqLen: 8 })).path).toBe('data.path');
    expect((await configError({ source: 'npy', inputs: 'x.npy' })).path).toBe('data.labels');
    expect((await configError({ source: 'synthetic-image', heldOutFraction: 0.1 })).path).toBe('data.heldOutFraction');
  });

  it('names unknown keys and lists the known ones', async () => {
    const error = await configError({ source: 'moby-dick', seqlen: 32 });
    expect(error.path).toBe('data.seqlen');
    expect(error.message).toMatch(/unknown option 'seqlen'/);
    expect(error.expected).toContain('seqLen');
  });

  it('rejects a missing or unknown source and a non-object, listing the sources', async () => {
    const unknown = await configError({ source: 'cifar' });
    expect(unknown.path).toBe('data.source');
    for (const s of DATA_SOURCES) expect(unknown.expected).toContain(s);
    expect((await configError({ seqLen: 3 })).path).toBe('data.source');
    expect((await configError('mnist')).path).toBe('data');
    expect((await configError(null)).path).toBe('data');
    expect((await configError([])).path).toBe('data');
  });

  it('uses the given path prefix', async () => {
    expect((await configError({ source: 'mnist', seed: 'x' }, 'pipeline.data')).path).toBe('pipeline.data.seed');
    expect((await configError({ source: 'mnist', seed: 'x' }, '')).path).toBe('seed');
  });
});

describe('datasetConfigSchema', () => {
  it('accepts every source and rejects a wrong one, so a pipeline schema can embed it', () => {
    const valid = [
      { source: 'mnist' },
      { source: 'moby-dick', seqLen: 128, stride: 32 },
      { source: 'synthetic-image', noise: 0.2 },
      { source: 'synthetic-text', vocabSize: 8 },
      { source: 'npy', inputs: 'x.npy', labels: 'y.npy' },
      { source: 'text-files', paths: ['a.txt'] },
      { source: 'image-folder', dir: 'images', size: [32, 32], channels: 1 },
      { source: 'token-file', dir: 'tokens', vocab: 50257, scan: 'full' },
      { source: 'text', path: 'a.txt', tokenizer: 'gpt2' },
    ];
    expect(valid.map((c) => c.source).sort()).toEqual([...DATA_SOURCES].sort());
    for (const config of valid) expect(datasetConfigSchema.safeParse(config).success).toBe(true);
    expect(datasetConfigSchema.safeParse({ source: 'mnist', trainSize: -1 }).success).toBe(false);
    expect(datasetConfigSchema.safeParse({ source: 'mnist', extra: 1 }).success).toBe(false);
    const parsed = datasetConfigSchema.parse({ source: 'moby-dick' });
    expect(parsed).toMatchObject({ source: 'moby-dick', seqLen: 64, trainSize: 4096, heldOutSize: 512 });
  });
});
