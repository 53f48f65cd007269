import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, type WasmHeapBackend } from '../heap.js';

/** FlatsparseSoftmaxCrossEntropy: the mean smoothed cross-entropy and the softmax (see FusedKernel.SoftmaxCrossEntropy). */
export function softmaxCrossEntropyKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.SoftmaxCrossEntropy,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
      const [rows, classes] = logits.shape as [number, number];
      const loss = b.makeOutput([], 'float32');
      const probs = b.makeOutput(logits.shape, 'float32');
      addon.softmaxCrossEntropy(heapOf(b), rows, classes, Number(attrs?.['labelSmoothing'] ?? 0), offsetOf(b, logits), offsetOf(b, targets), offsetOf(b, probs), offsetOf(b, loss));
      return [loss, probs];
    },
  };
}

/** FlatsparseSoftmaxCrossEntropyGrad: dlogits from the saved softmax (see FusedKernel.SoftmaxCrossEntropyGrad). */
export function softmaxCrossEntropyGradKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.SoftmaxCrossEntropyGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { dy, probs, targets } = inputs as { dy: tf.TensorInfo; probs: tf.TensorInfo; targets: tf.TensorInfo };
      const [rows, classes] = probs.shape as [number, number];
      const dlogits = b.makeOutput(probs.shape, 'float32');
      addon.softmaxCrossEntropyGrad(heapOf(b), rows, classes, Number(attrs?.['labelSmoothing'] ?? 0), offsetOf(b, dy), offsetOf(b, probs), offsetOf(b, targets), offsetOf(b, dlogits));
      return dlogits;
    },
  };
}
