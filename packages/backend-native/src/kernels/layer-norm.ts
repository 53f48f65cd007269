import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, offsetOrNone, sizeOf, type WasmHeapBackend } from '../heap.js';

/** FlatsparseLayerNorm: one pass per row, writes y, xhat and rstd (see FusedKernel.LayerNorm). */
export function layerNormKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.LayerNorm,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { x, scale, shift } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; shift?: tf.TensorInfo };
      const d = x.shape[x.shape.length - 1]!;
      const rows = sizeOf(x.shape) / d;
      const y = b.makeOutput(x.shape, 'float32');
      const xhat = b.makeOutput(x.shape, 'float32');
      const rstd = b.makeOutput([rows], 'float32');
      if (rows > 0) addon.layerNorm(heapOf(b), rows, d, Number(attrs?.['epsilon']), offsetOf(b, x), offsetOf(b, scale), offsetOrNone(b, shift), offsetOf(b, y), offsetOf(b, xhat), offsetOf(b, rstd));
      return [y, xhat, rstd];
    },
  };
}

/** FlatsparseLayerNormGrad: dx, dscale (and dshift) in one pass (see FusedKernel.LayerNormGrad). */
export function layerNormGradKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.LayerNormGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { dy, xhat, rstd, scale } = inputs as { dy: tf.TensorInfo; xhat: tf.TensorInfo; rstd: tf.TensorInfo; scale: tf.TensorInfo };
      const withShift = attrs?.['withShift'] === true;
      const d = xhat.shape[xhat.shape.length - 1]!;
      const rows = sizeOf(xhat.shape) / d;
      const dx = b.makeOutput(xhat.shape, 'float32');
      const dscale = b.makeOutput([d], 'float32');
      const dshift = withShift ? b.makeOutput([d], 'float32') : undefined;
      addon.layerNormGrad(heapOf(b), rows, d, offsetOf(b, dy), offsetOf(b, xhat), offsetOf(b, rstd), offsetOf(b, scale), offsetOf(b, dx), offsetOf(b, dscale), offsetOrNone(b, dshift));
      return dshift === undefined ? [dx, dscale] : [dx, dscale, dshift];
    },
  };
}
