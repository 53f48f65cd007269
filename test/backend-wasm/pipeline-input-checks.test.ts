import { wasmBackend } from '@flatsparse/backend-wasm';
import { acquireRunLock, runPipeline, type PipelineSpec } from '@flatsparse/core';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticImageDataset, syntheticTextDataset } from '@flatsparse/data';
import { FlatsparseError } from '@flatsparse/plugin-api';
import { builtinPlugins } from '@flatsparse/plugins';
import { describe, expect, it } from 'vitest';

const dataset = syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 16, heldOutSize: 8 });
const relu = () => builtinPlugins.get('relu')!.factory(undefined);

/** A tiny valid pipeline, with members replaced or removed by `change`. */
function spec(change: Record<string, unknown> = {}): PipelineSpec {
  const base: Record<string, unknown> = {
    backends: [wasmBackend()],
    backend: 'wasm',
    plugins: [relu()],
    dataset,
    model: { kind: 'vit', config: { patch: 4, d: 8, depth: 1, heads: 1, mlpWidth: 16 } },
    activation: 'relu',
    train: { steps: 1, batchSize: 4, lr: 0.01 },
  };
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base as unknown as PipelineSpec;
}

async function refusal(input: unknown): Promise<FlatsparseError> {
  const error = await runPipeline(input as PipelineSpec).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlatsparseError);
  expect((error as FlatsparseError).fix).toBeTruthy();
  return error as FlatsparseError;
}

// Every refusal here comes before a backend starts: none needs wasm to be available.
describe('runPipeline refuses bad input with coded errors before any work', () => {
  it("a lock of another directory: E_CONFIG_INVALID at 'runLock', and neither directory is touched", async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-lock-mismatch-'));
    try {
      const lock = await acquireRunLock(join(root, 'a'));
      const error = await refusal(spec({ runDir: join(root, 'b'), runLock: lock }));
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toContain(`is the lock of '${join(root, 'a')}', not of the run directory '${join(root, 'b')}'`);
      expect(existsSync(join(root, 'b'))).toBe(false);
      await lock.release();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('an empty spec: E_CONFIG_INVALID naming a missing section, not a TypeError', async () => {
    const error = await refusal({});
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID' });
    expect(error.message).toMatch(/'(plugins|dataset|model|activation|backends|train)'/);
  });

  it('a missing train section', async () => {
    const error = await refusal(spec({ train: undefined }));
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'train' });
    expect(error.message).toContain("Invalid config at 'train'");
  });

  it('a missing plugins section', async () => {
    const error = await refusal(spec({ plugins: undefined }));
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'plugins' });
  });

  it('a negative learning rate', async () => {
    const error = await refusal(spec({ train: { steps: 1, batchSize: 4, lr: -0.01 } }));
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'train.lr', received: -0.01 });
    expect(error.message).toMatch(/>= ?0/);
  });

  it('a dataset that is neither a function nor a Dataset', async () => {
    const number = await refusal(spec({ dataset: 42 }));
    expect(number).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'dataset' });
    const malformed = await refusal(spec({ dataset: { name: 'mine', kind: 'image', classes: 3, train: [], heldOut: [], source: 'here' } }));
    expect(malformed).toMatchObject({ code: 'E_DATA' });
    expect(malformed.message).toContain("'train' Invalid input: expected object");
  });

  it('a dataset function that returns something else than a Dataset', async () => {
    const error = await refusal(spec({ dataset: async () => ({ rows: [1, 2, 3] }) }));
    expect(error).toMatchObject({ code: 'E_DATA' });
    expect(error.message).toContain("what the 'dataset' function returned");
  });

  it('an unknown model kind, listing the registered ones (it used to train a GPT on text data)', async () => {
    const text = syntheticTextDataset({ vocabSize: 16, seqLen: 8, trainSize: 16, heldOutSize: 8 });
    const error = await refusal(spec({ dataset: text, model: { kind: 'resnet', config: { d: 8, depth: 1, heads: 1, mlpWidth: 16 } } }));
    expect(error).toMatchObject({ code: 'E_CONTRIBUTION_UNKNOWN', received: 'resnet' });
    expect(error.message).toContain("Unknown model 'resnet'");
    expect(error.expected).toContain('gpt, vit');
  });
});
