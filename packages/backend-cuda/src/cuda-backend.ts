import type { Backend } from '@flatsparse/plugin-api';
import { checkBackendOptions, type TensorflowBackendOptions } from './backend-options.js';
import { tensorflowAdapter } from './tensorflow-adapter.js';

/** Options of the CUDA backend. */
export interface CudaBackendOptions extends TensorflowBackendOptions {
  /** Priority in 'auto' selection (default 40: above WebGPU). */
  readonly priority?: number;
  /**
   * Run even when tfjs-node-gpu loads but TensorFlow sees no GPU (it then computes on the CPU, and
   * `BackendInfo.fallback` says so). Default false: such a run fails instead of silently using the CPU.
   */
  readonly allowCpuFallback?: boolean;
}

/**
 * The CUDA backend: @tensorflow/tfjs-node-gpu (tfjs backend 'tensorflow'), an optional peer the user
 * installs. Nothing is imported on load or by this factory; `isAvailable()` loads the package only in
 * a child process and tells apart: not installed, install incomplete, native binding failing to load
 * (with the libraries it needs), loaded but no GPU (the silent CPU fallback), and ready on a named GPU.
 */
export function cudaBackend(options: CudaBackendOptions = {}): Backend {
  checkBackendOptions('cudaBackend', options, ['allowCpuFallback']);
  return tensorflowAdapter('cuda', { ...options, priority: options.priority ?? 40, allowCpuFallback: options.allowCpuFallback ?? false });
}
