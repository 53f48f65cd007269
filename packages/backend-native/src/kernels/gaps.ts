import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, sizeOf, type WasmHeapBackend } from '../heap.js';

/** A typed view of a tensor's data in the heap (take it after every output is allocated). */
function view(backend: WasmHeapBackend, t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array {
  const buffer = backend.wasm.HEAPU8.buffer;
  const offset = offsetOf(backend, t);
  const n = sizeOf(t.shape);
  if (t.dtype === 'float32') return new Float32Array(buffer, offset, n);
  if (t.dtype === 'int32') return new Int32Array(buffer, offset, n);
  return new Uint8Array(buffer, offset, n);
}

/**
 * Two kernels tfjs-backend-wasm 4.22 lacks or gets wrong, written here (plain loops on the heap) so
 * the native backend passes the whole conformance suite: OneHot of any dtype (wasm writes integer bit
 * patterns into float32 output) and UnsortedSegmentSum (absent on wasm; the gradient of gather).
 */
export function gapKernels(backendName: string): tf.KernelConfig[] {
  return [
    {
      kernelName: tf.OneHot,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const b = backend as unknown as WasmHeapBackend;
        const indices = inputs['indices'] as tf.TensorInfo;
        const depth = Number(attrs?.['depth']);
        const on = Number(attrs?.['onValue'] ?? 1);
        const off = Number(attrs?.['offValue'] ?? 0);
        const dtype = (attrs?.['dtype'] as tf.DataType | undefined) ?? 'int32';
        const out = b.makeOutput([...indices.shape, depth], dtype);
        const ids = view(b, indices);
        const values = view(b, out);
        values.fill(off);
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (id >= 0 && id < depth) values[i * depth + id] = on;
        }
        return out;
      },
    },
    {
      kernelName: tf.UnsortedSegmentSum,
      backendName,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const b = backend as unknown as WasmHeapBackend;
        const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
        const segments = Number(attrs?.['numSegments']);
        const inner = sizeOf(x.shape.slice(segmentIds.shape.length));
        const out = b.makeOutput([segments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
        const ids = view(b, segmentIds);
        const src = view(b, x);
        const dst = view(b, out);
        dst.fill(0);
        for (let i = 0; i < ids.length; i++) {
          const s = ids[i]!;
          if (s < 0 || s >= segments) continue;
          for (let j = 0; j < inner; j++) dst[s * inner + j]! += src[i * inner + j]!;
        }
        return out;
      },
    },
  ];
}
