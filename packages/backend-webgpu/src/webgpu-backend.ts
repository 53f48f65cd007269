import type { Availability, Backend, BackendInfo } from '@flatsparse/core';
import { BackendInitError } from '@flatsparse/core';

/** Options of the WebGPU backend. */
export interface WebgpuBackendOptions {
  /** Priority in 'auto' selection (default 30: above wasm). */
  readonly priority?: number;
}

const NOT_YET =
  'this flatsparse release does not ship the WebGPU adapter yet (tracked in issue #5: Dawn in Node via the webgpu package, the browser\'s navigator.gpu).';
const FIX = "use the embedded default backend ('wasm' or 'auto') until the WebGPU adapter lands.";

/**
 * The WebGPU backend (@tensorflow/tfjs-backend-webgpu). Placeholder: it reports itself unavailable,
 * with the reason, until its own issue implements the adapter; nothing is imported on load.
 */
export function webgpuBackend(options: WebgpuBackendOptions = {}): Backend {
  return {
    name: 'webgpu',
    tfjsName: 'webgpu',
    priority: options.priority ?? 30,
    capabilities: { float16: false, exactSecondOrder: false, gpu: true },
    install: 'pnpm add @flatsparse/backend-webgpu @tensorflow/tfjs-backend-webgpu webgpu',
    async isAvailable(): Promise<Availability> {
      return { available: false, reason: NOT_YET, fix: FIX };
    },
    async init(): Promise<BackendInfo> {
      throw new BackendInitError('webgpu', new Error(NOT_YET), FIX);
    },
    async dispose(): Promise<void> {},
  };
}
