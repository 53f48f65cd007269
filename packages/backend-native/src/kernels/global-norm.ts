import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, sizeOf, type WasmHeapBackend } from '../heap.js';

/** FlatsparseGlobalNorm: sqrt of the sum of squares of every input, accumulated in double (see FusedKernel.GlobalNorm). */
export function globalNormKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.GlobalNorm,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const tensors = Object.values(inputs) as tf.TensorInfo[];
      const out = b.makeOutput([], 'float32');
      const list = new Float64Array(2 * tensors.length);
      tensors.forEach((t, i) => {
        list[2 * i] = offsetOf(b, t);
        list[2 * i + 1] = sizeOf(t.shape);
      });
      addon.globalNorm(heapOf(b), list, offsetOf(b, out));
      return out;
    },
  };
}
