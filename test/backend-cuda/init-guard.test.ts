import { cudaBackend } from '@flatsparse/backend-cuda';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { BackendInitError } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fakeTfjsNode, loadedBy, LOG_GPU } from './fake-tfjs-node.js';

// init() repeats the device check in this process: a package whose probe saw a GPU but which lands
// on the CPU here is refused, and tfjs goes back to the backend that was active before.
describe('cuda init checks the device again in-process', () => {
  it('refuses a CPU placement the probe did not see, and restores the previous tfjs backend', async () => {
    await wasmBackend().init();
    const fake = await fakeTfjsNode({ kind: 'works', gpu: 'probe-only', gpuPackage: true, log: LOG_GPU });
    const backend = cudaBackend({ resolveFrom: fake.root });
    expect((await backend.isAvailable()).available).toBe(true);
    const previous = tf.getBackend();
    expect(previous).toBe('wasm');
    const err = await backend.init().catch((e: unknown) => e);
    expect(loadedBy(fake)).toContain(process.pid);
    expect(err).toBeInstanceOf(BackendInitError);
    expect((err as Error).message).toMatch(/TensorFlow placed it on the CPU \(no GPU device\): a run on 'cuda' would silently compute on the CPU/);
    expect(tf.getBackend()).toBe(previous);
    const allowed = await cudaBackend({ resolveFrom: fake.root, allowCpuFallback: true }).init();
    expect(allowed.fallback).toMatch(/computing on the CPU because allowCpuFallback is set/);
    expect(allowed.capabilities.gpu).toBe(false);
  });
});
