import type { Availability, Backend, BackendInfo } from '@flatsparse/core';
import { BackendInitError } from '@flatsparse/core';

/** Options of the CUDA backend. */
export interface CudaBackendOptions {
  /** Priority in 'auto' selection (default 40: above WebGPU). */
  readonly priority?: number;
}

const NOT_YET =
  'this flatsparse release does not ship the tfjs-node-gpu adapter yet (tracked in issue #6: lazy import, load diagnostics, CPU-fallback detection).';
const FIX = "use the embedded default backend ('wasm' or 'auto') until the CUDA adapter lands.";

/**
 * The CUDA backend (@tensorflow/tfjs-node-gpu, tfjs backend 'tensorflow'). Placeholder: it reports
 * itself unavailable until its own issue; tfjs-node-gpu switches backend on import, so it will only
 * ever be imported inside init().
 */
export function cudaBackend(options: CudaBackendOptions = {}): Backend {
  return {
    name: 'cuda',
    tfjsName: 'tensorflow',
    priority: options.priority ?? 40,
    capabilities: { float16: false, exactSecondOrder: true, gpu: true },
    install: 'pnpm add @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.2 and cuDNN 8.1; downloads libtensorflow at install time)',
    async isAvailable(): Promise<Availability> {
      return { available: false, reason: NOT_YET, fix: FIX };
    },
    async init(): Promise<BackendInfo> {
      throw new BackendInitError('cuda', new Error(NOT_YET), FIX);
    },
    async dispose(): Promise<void> {},
  };
}
