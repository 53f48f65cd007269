import { cudaBackend, tensorflowCpuBackend } from '@flatsparse/backend-cuda';
import { BackendInitError } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fakeTfjsNode, loadedBy, LOG_GPU } from './fake-tfjs-node.js';

// init() on a fake tfjs-node-gpu that reports a GPU. The fake registers a tfjs backend 'tensorflow'
// (the CPU kernels under that name) in this worker process, so this file holds only this scenario.
describe('cuda init on a package that reports a GPU', () => {
  it('imports the package only in init(), switches tfjs to it, names the GPU and computes', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_GPU });
    const backend = cudaBackend({ resolveFrom: fake.root });
    expect(loadedBy(fake)).toEqual([]);
    expect((await backend.isAvailable()).available).toBe(true);
    expect(loadedBy(fake)).toHaveLength(1);
    expect(loadedBy(fake)).not.toContain(process.pid);
    expect(tf.findBackendFactory('tensorflow')).toBeNull();

    const info = await backend.init();
    expect(loadedBy(fake)).toContain(process.pid);
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info).toMatchObject({ name: 'cuda', tfjsName: 'tensorflow', capabilities: { gpu: true }, facts: { onGpu: true, gpuName: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', libtensorflow: '2.9.1' } });
    expect(info.fallback).toBeUndefined();
    expect(info.detail).toBe('@tensorflow/tfjs-node-gpu 4.22.0, libtensorflow 2.9.1, on GPU NVIDIA H100 80GB HBM3 (compute capability 9.0)');

    const a = [[1, 2, 3], [4, 5, 6]];
    const b = [[7], [8], [9]];
    const expected = a.map((row) => row.reduce((s, v, k) => s + v * b[k]![0]!, 0));
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(a), tf.tensor2d(b)));
    expect(Array.from(await y.data())).toEqual(expected);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);

    await backend.dispose();
    await backend.dispose();
    expect((await backend.init()).name).toBe('cuda');
    expect(loadedBy(fake).filter((pid) => pid === process.pid)).toHaveLength(1);
  });

  it('tensorflow-cpu then refuses: this process already holds tfjs-node-gpu', async () => {
    const cpuFake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: false }, { name: '@tensorflow/tfjs-node' });
    const cpu = tensorflowCpuBackend({ resolveFrom: cpuFake.root });
    expect((await cpu.isAvailable()).available).toBe(true);
    const err = await cpu.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendInitError);
    expect((err as Error).message).toMatch(/comes from @tensorflow\/tfjs-node-gpu, loaded before @tensorflow\/tfjs-node; one process holds only one of them/);
  });
});
