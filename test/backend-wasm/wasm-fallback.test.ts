import { wasmBackend } from '@flatsparse/backend-wasm';
import { createRun } from '@flatsparse/core';
import { BackendInitError } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

// This file runs in its own worker: a wasm backend that failed to load stays failed for the process.
describe('the embedded default falls back to the CPU backend only where wasm cannot load', () => {
  it('refuses to fall back when told not to, naming the backend', async () => {
    const err = await createRun({ backends: [wasmBackend({ wasmPaths: '/nonexistent/', allowCpuFallback: false })] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendInitError);
    expect((err as Error).message).toMatch(/Backend 'wasm' failed to initialise/);
  });

  it('falls back to tfjs-backend-cpu, says so, and computes correctly', async () => {
    const run = await createRun({ backends: [wasmBackend({ wasmPaths: '/nonexistent/' })] });
    expect(run.backend.tfjsName).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(run.backend.fallback).toMatch(/wasm could not load/);
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
    await run.dispose();
  });
});
