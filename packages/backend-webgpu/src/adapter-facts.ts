import type { GpuAdapter, GpuAdapterInfo } from './gpu-types.js';

/** What an adapter says about itself, normalised (empty strings where it says nothing). */
export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for SwiftShader, llvmpipe/lavapipe, WARP and any adapter flagged as a fallback: WebGPU on the CPU. */
  readonly software: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software|\bcpu\b/i;

/** Reads `adapter.info` (or the older `requestAdapterInfo()`), and decides whether it is a software adapter. */
export async function describeAdapter(adapter: GpuAdapter): Promise<AdapterDescription> {
  let info: GpuAdapterInfo = {};
  try {
    info = adapter.info ?? (typeof adapter.requestAdapterInfo === 'function' ? await adapter.requestAdapterInfo() : {});
  } catch {
    info = {};
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const d = { vendor: text(info.vendor), architecture: text(info.architecture), device: text(info.device), description: text(info.description) };
  const flagged = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  return { ...d, software: flagged || SOFTWARE.test(`${d.vendor} ${d.architecture} ${d.device} ${d.description}`) };
}

/** A short human name: 'SwiftShader driver 5.0.0 (google swiftshader)'. */
export function adapterName(a: AdapterDescription): string {
  const id = [a.vendor, a.architecture].filter(Boolean).join(' ');
  const main = a.description || a.device || id || 'unnamed adapter';
  return id && main !== id ? `${main} (${id})` : main;
}

/** How the adapter was reached in Node (absent in a browser). */
export interface NodeSetup {
  /** 'system' or the path of the Vulkan loader that was preloaded (Linux). */
  readonly vulkanLoader?: string;
  /** The driver manifest list in effect when the adapter was created, if one was set. */
  readonly vulkanIcd?: string;
  /** Who set it: 'user' (the environment), 'flatsparse' (SwiftShader found, nothing else set). */
  readonly vulkanIcdSetBy?: 'user' | 'flatsparse';
}

/** The facts a run records (BackendInfo.facts): adapter identity, software flag, where it came from, key limits. */
export function adapterFacts(a: AdapterDescription, runtime: 'node' | 'browser', limits: Readonly<Record<string, number | undefined>>, setup: NodeSetup = {}): Record<string, string | number | boolean> {
  const facts: Record<string, string | number | boolean> = {
    runtime: runtime === 'node' ? "node (Dawn, npm package 'webgpu')" : 'browser (navigator.gpu)',
    adapterVendor: a.vendor,
    adapterArchitecture: a.architecture,
    adapterDevice: a.device,
    adapterDescription: a.description,
    softwareFallback: a.software,
  };
  for (const [k, v] of Object.entries(setup)) if (v !== undefined) facts[k] = v;
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize']) {
    const v = limits[k];
    if (typeof v === 'number') facts[k] = v;
  }
  return facts;
}

/** What BackendInfo.fallback says for a software adapter, so a result never hides it. */
export function softwareNote(a: AdapterDescription): string {
  return `software adapter ${adapterName(a)}: WebGPU runs on the CPU (SwiftShader does about 0.25 GFLOP/s, far slower than the wasm backend); figures are right, timings mean nothing for GPUs.`;
}
