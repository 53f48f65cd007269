import * as tf from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from '../heap.js';

/**
 * Identity shares the input's data (a reference count) instead of copying it, as tfjs-backend-cpu
 * does. tfjs clones every tensor a gradient saves, so on wasm (which copies) each saved activation
 * costs a full copy; tensors are immutable, so sharing is safe.
 */
export function identityKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs['x'] as tf.TensorInfo;
      (backend as unknown as WasmHeapBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}
