import { describe, expect, it } from 'vitest';
import { DEFAULT_REQUIRED_LIMITS, deviceDescriptor, missingRequirements } from './requirements.js';

const adapter = (limits: Record<string, number>, features: string[] = []) => ({ limits, features: new Set(features) });
const FULL = { ...DEFAULT_REQUIRED_LIMITS, maxBufferSize: 268_435_456, minStorageBufferOffsetAlignment: 256 };

describe('missingRequirements', () => {
  it('is empty for an adapter meeting the WebGPU defaults', () => {
    expect(missingRequirements(adapter(FULL), [], DEFAULT_REQUIRED_LIMITS)).toEqual([]);
  });

  it('names each missing feature and each limit below what is needed, with both values', () => {
    const compat = adapter({ ...FULL, maxStorageBuffersPerShaderStage: 4 }, ['timestamp-query']);
    expect(missingRequirements(compat, ['shader-f16', 'timestamp-query'], DEFAULT_REQUIRED_LIMITS)).toEqual([
      "feature 'shader-f16'",
      'limit maxStorageBuffersPerShaderStage = 4 (needed >= 8)',
    ]);
  });

  it("treats 'min*' limits (alignments) as smaller-is-better, and flags limits the adapter does not report", () => {
    expect(missingRequirements(adapter(FULL), [], { minStorageBufferOffsetAlignment: 64 })).toEqual(['limit minStorageBufferOffsetAlignment = 256 (needed <= 64)']);
    expect(missingRequirements(adapter(FULL), [], { minStorageBufferOffsetAlignment: 256 })).toEqual([]);
    expect(missingRequirements(adapter({}), [], { maxBufferSize: 1 })).toEqual(['limit maxBufferSize (not reported by the adapter; needed 1)']);
  });
});

describe('deviceDescriptor', () => {
  it("asks for the adapter's maxima of the limits tfjs uses (as tfjs does) and the required features", () => {
    const d = deviceDescriptor(adapter({ ...FULL, maxStorageBufferBindingSize: 1 << 30, maxTextureDimension2D: 8192 }), ['shader-f16']);
    expect(d.requiredFeatures).toEqual(['shader-f16']);
    expect(d.requiredLimits.maxStorageBufferBindingSize).toBe(1 << 30);
    expect(d.requiredLimits.maxBufferSize).toBe(268_435_456);
    expect(d.requiredLimits).not.toHaveProperty('maxTextureDimension2D');
  });
});
