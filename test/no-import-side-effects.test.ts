import { describe, expect, it } from 'vitest';

describe('importing flatsparse packages', () => {
  it('registers no tfjs backend, sets no backend and loads no reflect polyfill', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const registry = () => Object.keys((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory);
    const before = registry();
    await import('@flatsparse/core');
    await import('@flatsparse/core/testing');
    await import('@flatsparse/plugins');
    await import('@flatsparse/data');
    await import('@flatsparse/backend-wasm');
    await import('@flatsparse/backend-webgpu');
    await import('@flatsparse/backend-cuda');
    expect(registry()).toEqual(before);
    expect(registry()).toEqual([]);
    expect((Reflect as unknown as { getMetadata?: unknown }).getMetadata).toBeUndefined();
  });

  it('creating backend descriptors registers nothing either', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { wasmBackend } = await import('@flatsparse/backend-wasm');
    const { webgpuBackend } = await import('@flatsparse/backend-webgpu');
    const { cudaBackend, tensorflowCpuBackend } = await import('@flatsparse/backend-cuda');
    const descriptors = [wasmBackend(), webgpuBackend(), cudaBackend(), tensorflowCpuBackend()];
    expect(descriptors.map((d) => d.name)).toEqual(['wasm', 'webgpu', 'cuda', 'tensorflow-cpu']);
    expect(Object.keys((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory)).toEqual([]);
  });
});
