import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { asOutOfMemory, runPipeline, type RunFailure } from '@flatsparse/core';
import { type Plugin } from '@flatsparse/plugin-api';
import { syntheticImageDataset } from '@flatsparse/data';
import { builtinPlugins } from '@flatsparse/plugins';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

// In a file of its own: after an allocation failure the WebAssembly instance is aborted for the rest
// of the process (vitest gives each file its own).
const state = await useBackend(wasmBackend());
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('allocation failures are classified', () => {
  it('recognises the failures of each layer, through causes, and nothing else', () => {
    const wasm = Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    expect(asOutOfMemory(wasm, { name: 'native', tfjsName: 'flatsparse-native', addressableBytes: 65535 * 65536 })?.message).toMatch(/backend 'native' could not allocate memory for the run \(RuntimeError: memory access out of bounds\); its limit is 4\.0 GiB.*instance it ran on is aborted/);
    expect(asOutOfMemory(new RangeError('Array buffer allocation failed'))?.code).toBe('E_OUT_OF_MEMORY');
    expect(asOutOfMemory(new Error('plugin x failed', { cause: new Error('Aborted(OOM)') }))?.code).toBe('E_OUT_OF_MEMORY');
    expect(asOutOfMemory(new Error('shapes [2,3] and [4] do not match'))).toBeUndefined();
    expect(asOutOfMemory(new TypeError("Cannot read properties of undefined (reading 'shape')"))).toBeUndefined();
  });
});

describe.skipIf(!state.available)('an allocation failure in a run is a coded error, not a crash', () => {
  it('a plugin that asks for more than the 4 GiB heap: E_OUT_OF_MEMORY naming the backend and its limit, in failure.json too', async () => {
    const runDir = join(await mkdtemp(join(tmpdir(), 'flatsparse-oom-')), 'run');
    dirs.push(runDir);
    const kept: tf.Tensor[] = [];
    const hog: Plugin = {
      name: 'memory-hog',
      version: '0.0.0',
      apiVersion: '^0.7.0',
      hooks: {
        afterStep: ({ step }) => {
          if (step !== 1) return;
          // 1 GiB a piece until the heap cannot grow.
          for (let i = 0; i < 8; i++) kept.push(tf.keep(tf.fill([256 * 1024 * 1024], 1)));
        },
      },
    };
    const error = await runPipeline({
      backends: [wasmBackend()],
      backend: 'wasm',
      seed: 1,
      plugins: [builtinPlugins.get('relu')!.factory(undefined), hog],
      dataset: syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 32, heldOutSize: 8 }),
      model: { kind: 'vit', config: { patch: 4, d: 16, depth: 1, heads: 2, mlpWidth: 32 } },
      activation: 'relu',
      runDir,
      train: { steps: 4, batchSize: 8, lr: 0.01, logEvery: 1 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_OUT_OF_MEMORY' });
    expect((error as Error).message).toMatch(/backend 'wasm' could not allocate memory .*its limit is 4\.0 GiB, the 4 GiB a WebAssembly backend can address/);
    expect((error as { fix?: string }).fix ?? (error as Error).message).toMatch(/shrink the model/);
    const failure = JSON.parse(await readFile(join(runDir, 'failure.json'), 'utf8')) as RunFailure;
    expect(failure.code).toBe('E_OUT_OF_MEMORY');
  }, 120_000);
});
