import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, sizeOf, type WasmHeapBackend } from '../heap.js';

const lastAxis = (t: tf.TensorInfo): number => t.shape[t.shape.length - 1] ?? 1;

/** The metrics' one-pass statistics (FusedKernel.IntervalStats, RowSumSquares, MaskedRowSumSquares). */
export function metricKernels(addon: NativeAddon, backendName: string): tf.KernelConfig[] {
  return [
    {
      kernelName: FusedKernel.IntervalStats,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const b = backend as unknown as WasmHeapBackend;
        const x = inputs['x'] as tf.TensorInfo;
        const n = lastAxis(x);
        const inside = b.makeOutput([], 'float32');
        const everOutside = b.makeOutput([n], 'float32');
        addon.intervalStats(heapOf(b), sizeOf(x.shape) / n, n, offsetOf(b, x), Float64Array.from(attrs?.['intervals'] as number[]), offsetOf(b, inside), offsetOf(b, everOutside));
        return [inside, everOutside];
      },
    },
    {
      kernelName: FusedKernel.RowSumSquares,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const b = backend as unknown as WasmHeapBackend;
        const x = inputs['x'] as tf.TensorInfo;
        const n = lastAxis(x);
        const out = b.makeOutput(x.shape.slice(0, -1), 'float32');
        addon.rowSumSquares(heapOf(b), sizeOf(x.shape) / n, n, offsetOf(b, x), offsetOf(b, out));
        return out;
      },
    },
    {
      kernelName: FusedKernel.MaskedRowSumSquares,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const b = backend as unknown as WasmHeapBackend;
        const { u, v, x } = inputs as { u?: tf.TensorInfo; v: tf.TensorInfo; x: tf.TensorInfo };
        const n = lastAxis(x);
        const out = b.makeOutput(x.shape.slice(0, -1), 'float32');
        const inside = b.makeOutput([], 'float32');
        const everOutside = b.makeOutput([n], 'float32');
        addon.maskedRowSumSquares(heapOf(b), sizeOf(x.shape) / n, n, u === undefined ? -1 : offsetOf(b, u), offsetOf(b, v), offsetOf(b, x), Float64Array.from(attrs?.['intervals'] as number[]), offsetOf(b, out), offsetOf(b, inside), offsetOf(b, everOutside));
        return [out, inside, everOutside];
      },
    },
  ];
}
