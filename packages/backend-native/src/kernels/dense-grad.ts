import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, offsetOrNone, type WasmHeapBackend } from '../heap.js';

/** FlatsparseDenseGrad: dx, dw (and db) of a dense layer in one call (see FusedKernel.DenseGrad). */
export function denseGradKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.DenseGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { x, w, dy } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; dy: tf.TensorInfo };
      const transposedW = attrs?.['transposedW'] === true;
      const withBias = attrs?.['withBias'] === true;
      const [rows, inSize] = x.shape as [number, number];
      const outSize = dy.shape[1]!;
      const dx = b.makeOutput(x.shape, 'float32');
      const dw = b.makeOutput(w.shape, 'float32');
      const db = withBias ? b.makeOutput([outSize], 'float32') : undefined;
      addon.denseGrad(heapOf(b), transposedW, rows, inSize, outSize, offsetOf(b, x), offsetOf(b, w), offsetOf(b, dy), offsetOf(b, dx), offsetOf(b, dw), offsetOrNone(b, db));
      return db === undefined ? [dx, dw] : [dx, dw, db];
    },
  };
}
