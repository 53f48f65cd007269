import { wasmBackend } from '@flatsparse/backend-wasm';
import { cudaBackend } from '@flatsparse/backend-cuda';
import { createRun } from '@flatsparse/core';
import { BackendInitError } from '@flatsparse/plugin-api';
import { BackendUnavailableError } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fakeTfjsNode, loadedBy, LOG_MISSING_CUDNN } from './fake-tfjs-node.js';

// The silent CPU fallback: tfjs-node-gpu loads but TensorFlow registered no GPU device. A run on
// 'cuda' fails unless the CPU is explicitly allowed. One scenario per file (the fake registers 'tensorflow').
describe('cuda when TensorFlow sees no GPU', () => {
  it('fails before loading anything into this process, through init() and through createRun()', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const err = await cudaBackend({ resolveFrom: fake.root }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendInitError);
    expect((err as Error).message).toMatch(/Backend 'cuda' failed to initialise: .*would silently compute on the CPU: it could not open libcudnn\.so\.8/);
    const runErr = await createRun({ backends: [cudaBackend({ resolveFrom: fake.root }), wasmBackend()], backend: 'cuda' }).catch((e: unknown) => e);
    expect(runErr).toBeInstanceOf(BackendUnavailableError);
    expect((runErr as Error).message).toMatch(/Backend 'cuda' is not available: .*sees no GPU device and would silently compute on the CPU.*available here: wasm/);
    expect((runErr as Error).message).toContain('allowCpuFallback: true');
    expect(loadedBy(fake)).not.toContain(process.pid);
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
  });

  it('runs on the CPU when allowed, and says so in BackendInfo', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const run = await createRun({ backends: [cudaBackend({ resolveFrom: fake.root, allowCpuFallback: true }), wasmBackend()], backend: 'cuda' });
    try {
      expect(tf.getBackend()).toBe('tensorflow');
      expect(run.backend.capabilities.gpu).toBe(false);
      expect(run.backend.detail).toMatch(/on the CPU$/);
      expect(run.backend.fallback).toMatch(/^TensorFlow sees no GPU device; computing on the CPU because allowCpuFallback is set\. .*libcudnn\.so\.8/);
      const y = tf.tidy(() => tf.sum(tf.square(tf.tensor1d([1, 2, 3, 4]))));
      expect((await y.data())[0]).toBe(1 + 4 + 9 + 16);
      y.dispose();
    } finally {
      await run.dispose();
    }
  });
});
