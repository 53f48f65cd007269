import type { Backend } from '@flatsparse/plugin-api';
import { checkBackendOptions, type TensorflowBackendOptions } from './backend-options.js';
import { tensorflowAdapter } from './tensorflow-adapter.js';

/** Options of the TensorFlow CPU backend. */
export interface TensorflowCpuBackendOptions extends TensorflowBackendOptions {
  /** Priority in 'auto' selection (default 20: above wasm, below the GPU backends). */
  readonly priority?: number;
}

/**
 * The native TensorFlow CPU backend: @tensorflow/tfjs-node (tfjs backend 'tensorflow'), the CPU build
 * sharing tfjs-node-gpu's binding, for users who have it installed. Same lazy loading and diagnostics
 * as `cudaBackend()`; one process can hold only one of the two packages.
 */
export function tensorflowCpuBackend(options: TensorflowCpuBackendOptions = {}): Backend {
  checkBackendOptions('tensorflowCpuBackend', options);
  return tensorflowAdapter('tensorflow-cpu', { ...options, priority: options.priority ?? 20, allowCpuFallback: true });
}
