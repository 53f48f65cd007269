import { wasmBackend } from '@flatsparse/backend-wasm';
import { ALLOW_SOFTWARE_ENV, webgpuBackend, webgpuStatus } from '@flatsparse/backend-webgpu';
import { FlatsparseError, countTensors, type BackendInfo } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The backend itself on this machine's adapter (SwiftShader on CPU machines: software allowed here).
const backend = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(backend);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

async function caught(fn: () => unknown): Promise<FlatsparseError> {
  try {
    await fn();
  } catch (err) {
    return err as FlatsparseError;
  }
  throw new Error('did not throw');
}

describe('webgpuBackend: availability without throwing', () => {
  it('reports an adapter, or why not with a fix (never throws)', () => {
    if (availability.available) expect(availability.detail).toMatch(/^WebGPU adapter .+ \((node|browser)/);
    else expect([availability.reason.length > 0, availability.fix.length > 0]).toEqual([true, true]);
  });

  it('honours a user-set VK_ICD_FILENAMES: a missing driver file is named, and the environment is left as it was', async () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/nonexistent/vk_icd.json';
    try {
      const a = await webgpuBackend({ allowSoftware: true }).isAvailable();
      expect(a.available).toBe(false);
      if (!a.available) expect(a.reason).toMatch(/VK_ICD_FILENAMES=\/nonexistent\/vk_icd\.json is set, but .* does not exist|webgpu' package|Vulkan loader/);
      expect(process.env.VK_ICD_FILENAMES).toBe('/nonexistent/vk_icd.json');
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
  });
});

describe.skipIf(!availability.available)('webgpuBackend on this adapter', () => {
  const wasm = wasmBackend();
  let info: BackendInfo;
  const envBefore = process.env.VK_ICD_FILENAMES;

  beforeAll(async () => {
    await wasm.init();
    info = await backend.init();
  });
  afterAll(async () => {
    await backend.dispose();
    await wasm.dispose();
  });

  it('is the active tfjs backend and names the adapter in BackendInfo; a software adapter is flagged, never hidden', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(info).toMatchObject({ name: 'webgpu', tfjsName: 'webgpu', capabilities: { gpu: true } });
    const facts = info.facts!;
    for (const key of ['adapterVendor', 'adapterArchitecture', 'adapterDescription', 'softwareFallback', 'runtime']) expect(facts).toHaveProperty(key);
    if (facts.softwareFallback) {
      expect(info.fallback).toMatch(/software adapter/);
      expect(info.detail).toMatch(/SOFTWARE ADAPTER/);
    } else expect(info.fallback).toBeUndefined();
    expect(process.env.VK_ICD_FILENAMES).toBe(envBefore); // set only while Dawn created its instance
  });

  it(`refuses a software adapter unless allowed (option or ${ALLOW_SOFTWARE_ENV}=1), saying how to allow it`, async () => {
    const saved = process.env[ALLOW_SOFTWARE_ENV];
    delete process.env[ALLOW_SOFTWARE_ENV];
    try {
      const a = await webgpuBackend().isAvailable();
      if (info.facts!.softwareFallback) {
        expect(a.available).toBe(false);
        if (!a.available) expect(a.fix).toContain(`${ALLOW_SOFTWARE_ENV}=1`);
      }
    } finally {
      if (saved !== undefined) process.env[ALLOW_SOFTWARE_ENV] = saved;
    }
  });

  it('adds more than 7 tensors (tfjs-backend-webgpu binds every AddN input in one shader; flatsparse splits it)', async () => {
    const values = Array.from({ length: 40 }, (_, i) => [i, -2 * i, 0.5 * i]);
    const sum = tf.tidy(() => tf.addN(values.map((v) => tf.tensor1d(v))));
    expect(Array.from(await sum.data())).toEqual([780, -1560, 390]);
    sum.dispose();
  });

  it('a synchronous read-back from the GPU fails in Node with the fix (await tensor.data()), and is counted', async () => {
    const x = tf.tidy(() => tf.mul(tf.ones([40, 40]), 3)); // over tfjs's 1,000-element CPU hand-off: computed on the GPU
    const before = webgpuStatus().syncReads;
    if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
      const err = await caught(() => x.dataSync());
      expect(err.message).toMatch(/synchronous read-back .* not possible in Node/);
      expect(err.fix).toMatch(/await tensor\.data\(\)/);
    }
    expect(webgpuStatus().syncReads).toBe(before + 1);
    expect(Array.from(await x.data())).toEqual(Array(1600).fill(3));
    x.dispose();
  });

  it('releases GPU buffers with the tensors: memory back to baseline, and reports the bytes in use', async () => {
    const tensors = countTensors();
    const bytes = webgpuStatus().numBytesInGPU;
    const y = tf.tidy(() => tf.matMul(tf.randomNormal([64, 64]), tf.randomNormal([64, 64])));
    await y.data();
    expect(webgpuStatus().numBytesInGPU).toBeGreaterThanOrEqual(bytes + 64 * 64 * 4);
    y.dispose();
    expect(countTensors()).toBe(tensors);
    expect(webgpuStatus().numBytesInGPU).toBe(bytes);
  });

  it('a tensor disposed while its read-back is pending is still read, then freed (tf.tidy around data(), as tfjs tests backends)', async () => {
    const tensors = countTensors();
    const bytes = webgpuStatus().numBytesInGPU;
    let pending: Promise<tf.TypedArray> | undefined;
    tf.tidy(() => {
      const a = tf.mul(tf.ones([40, 40]), 5); // computed on the GPU; its disposal would wait for the next submit
      pending = a.data();
    });
    expect(countTensors()).toBe(tensors);
    expect(Array.from((await pending!).slice(0, 3))).toEqual([5, 5, 5]);
    expect(webgpuStatus().numBytesInGPU).toBe(bytes);
    expect(tf.memory().numDataBuffers).toBe(tf.engine().backend.numDataIds());
  });

  it('a lost device becomes a clear error naming the kernel, at the next kernel and at a read-back; dispose and a fresh init still work', async () => {
    const x = tf.tidy(() => tf.add(tf.ones([8, 8]), 1));
    await x.data();
    const device = (tf.backend() as unknown as { device: { destroy(): void } }).device;
    device.destroy(); // what a driver reset looks like to WebGPU
    await new Promise((resolve) => setTimeout(resolve, 50));
    const atKernel = await caught(() => tf.tidy(() => tf.mul(x, x)));
    expect(atKernel).toBeInstanceOf(FlatsparseError);
    expect(atKernel.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(atKernel.message).toMatch(/GPU device was lost \(reason 'destroyed'.*after kernel '\w+'.*kernel 'Multiply' cannot run/);
    const atRead = await caught(() => x.data());
    expect(atRead.message).toMatch(/device was lost.*read-back/);
    x.dispose();
    await backend.dispose();
    expect(webgpuStatus().active).toBe(false);
    expect(tf.getBackend()).toBe('wasm'); // the backend active before init is active again
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    info = await backend.init();
    const z = tf.tidy(() => tf.sum(tf.range(0, 10)));
    expect((await z.data())[0]).toBe(45);
    z.dispose();
  });
});
