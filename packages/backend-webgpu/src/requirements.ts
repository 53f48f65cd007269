import type { GpuAdapter } from './gpu-types.js';

/**
 * WebGPU limits tfjs-backend-webgpu relies on: the WebGPU defaults for compute, which every full
 * (non-compatibility) adapter meets. An adapter below them is reported, not used.
 */
export const DEFAULT_REQUIRED_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  maxStorageBufferBindingSize: 134_217_728,
  maxComputeWorkgroupStorageSize: 16_384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupsPerDimension: 65_535,
  maxStorageBuffersPerShaderStage: 8,
});

/** The limits tfjs-backend-webgpu asks the device for (set to the adapter's maxima, as tfjs itself does). */
export const DEVICE_LIMITS: readonly string[] = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

/**
 * What the adapter lacks: each missing feature, and each limit it does not reach ('min*' limits are
 * alignments, where smaller is better). Empty when it has everything.
 */
export function missingRequirements(adapter: Pick<GpuAdapter, 'features' | 'limits'>, features: readonly string[], limits: Readonly<Record<string, number>>): string[] {
  const missing = features.filter((f) => !adapter.features.has(f)).map((f) => `feature '${f}'`);
  for (const [name, needed] of Object.entries(limits)) {
    const has = adapter.limits[name];
    if (typeof has !== 'number') missing.push(`limit ${name} (not reported by the adapter; needed ${needed})`);
    else if (name.startsWith('min') ? has > needed : has < needed) missing.push(`limit ${name} = ${has} (needed ${name.startsWith('min') ? '<=' : '>='} ${needed})`);
  }
  return missing;
}

/** The device descriptor: the required features, and the adapter's maxima for the limits tfjs uses. */
export function deviceDescriptor(adapter: Pick<GpuAdapter, 'limits'>, features: readonly string[]): { requiredFeatures: string[]; requiredLimits: Record<string, number> } {
  const requiredLimits: Record<string, number> = {};
  for (const name of DEVICE_LIMITS) {
    const v = adapter.limits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  return { requiredFeatures: [...features], requiredLimits };
}
