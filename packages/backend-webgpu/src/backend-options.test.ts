import { ConfigError } from '@flatsparse/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveWebgpuOptions } from './backend-options.js';
import { DEFAULT_REQUIRED_LIMITS } from './requirements.js';

describe('resolveWebgpuOptions', () => {
  const saved = process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE;
  afterEach(() => {
    if (saved === undefined) delete process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE;
    else process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE = saved;
  });

  it('fills in the defaults: priority 30, software refused, SwiftShader looked for, WebGPU default limits', () => {
    delete process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE;
    expect(resolveWebgpuOptions()).toEqual({
      priority: 30,
      allowSoftware: false,
      swiftShaderIcd: 'auto',
      dawnFlags: [],
      powerPreference: 'high-performance',
      requiredFeatures: [],
      requiredLimits: DEFAULT_REQUIRED_LIMITS,
    });
  });

  it('allows software adapters through FLATSPARSE_WEBGPU_ALLOW_SOFTWARE=1, unless the option says otherwise', () => {
    process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE = '1';
    expect(resolveWebgpuOptions().allowSoftware).toBe(true);
    expect(resolveWebgpuOptions({ allowSoftware: false }).allowSoftware).toBe(false);
    process.env.FLATSPARSE_WEBGPU_ALLOW_SOFTWARE = '0';
    expect(resolveWebgpuOptions().allowSoftware).toBe(false);
  });

  it.each([
    [{ priority: Number.NaN }, 'webgpuBackend.priority'],
    [{ allowSoftware: 'yes' }, 'webgpuBackend.allowSoftware'],
    [{ swiftShaderIcd: '' }, 'webgpuBackend.swiftShaderIcd'],
    [{ dawnFlags: 'backend=vulkan' }, 'webgpuBackend.dawnFlags'],
    [{ powerPreference: 'fast' }, 'webgpuBackend.powerPreference'],
    [{ requiredFeatures: [1] }, 'webgpuBackend.requiredFeatures'],
    [{ requiredLimits: { maxBufferSize: -1 } }, 'webgpuBackend.requiredLimits'],
    [{ adapter: 'nvidia' }, 'webgpuBackend.adapter'],
  ])('rejects %j with a ConfigError at %s', (options, path) => {
    let error: unknown;
    try {
      resolveWebgpuOptions(options as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
    expect((error as ConfigError).message).toMatch(/Fix: /);
  });
});
