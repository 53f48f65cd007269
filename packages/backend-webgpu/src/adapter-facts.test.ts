import { describe, expect, it } from 'vitest';
import { adapterFacts, adapterName, describeAdapter, softwareNote } from './adapter-facts.js';
import type { GpuAdapter, GpuAdapterInfo } from './gpu-types.js';

const fake = (info: GpuAdapterInfo | undefined, extra: Partial<GpuAdapter> = {}): GpuAdapter => ({
  features: new Set(),
  limits: {},
  ...(info ? { info } : {}),
  requestDevice: () => Promise.reject(new Error('not in this test')),
  ...extra,
});

describe('describeAdapter', () => {
  it('flags SwiftShader (as Dawn reports it) as a software adapter', async () => {
    const d = await describeAdapter(fake({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }));
    expect(d.software).toBe(true);
    expect(adapterName(d)).toBe('SwiftShader driver 5.0.0 (google swiftshader)');
    expect(softwareNote(d)).toMatch(/software adapter SwiftShader driver 5\.0\.0.*CPU/);
  });

  it.each([
    [{ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true],
    [{ vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' }, true],
    [{ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080' }, false],
    [{ vendor: 'apple', architecture: 'metal-3', description: '' }, false],
  ])('software(%j) = %s', async (info, software) => {
    expect((await describeAdapter(fake(info))).software).toBe(software);
  });

  it('trusts isFallbackAdapter even with an unknown name, and reads requestAdapterInfo() where info is missing', async () => {
    expect((await describeAdapter(fake({ vendor: 'acme', isFallbackAdapter: true }))).software).toBe(true);
    const older = fake(undefined, { requestAdapterInfo: async () => ({ vendor: 'intel', architecture: 'gen-12lp' }) });
    expect(await describeAdapter(older)).toEqual({ vendor: 'intel', architecture: 'gen-12lp', device: '', description: '', software: false });
    const broken = fake(undefined, { requestAdapterInfo: () => Promise.reject(new Error('denied')) });
    expect(adapterName(await describeAdapter(broken))).toBe('unnamed adapter');
  });
});

describe('adapterFacts', () => {
  it('records the adapter, the software flag, how it was reached and the key limits', async () => {
    const d = await describeAdapter(fake({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }));
    const facts = adapterFacts(d, 'node', { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 28 }, { vulkanIcd: '/usr/lib/chromium/vk_swiftshader_icd.json', vulkanIcdSetBy: 'flatsparse' });
    expect(facts).toMatchObject({
      adapterVendor: 'google',
      adapterArchitecture: 'swiftshader',
      adapterDescription: 'SwiftShader driver 5.0.0',
      softwareFallback: true,
      vulkanIcd: '/usr/lib/chromium/vk_swiftshader_icd.json',
      vulkanIcdSetBy: 'flatsparse',
      maxStorageBufferBindingSize: 1 << 30,
      maxBufferSize: 1 << 28,
    });
    expect(facts).not.toHaveProperty('maxComputeWorkgroupStorageSize');
  });
});
