import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, sizeOf, type WasmHeapBackend } from '../heap.js';

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
 * Cast between float32, int32 and bool. To the dtype a tensor already has, the data is shared (tfjs
 * gradients cast float32 to float32 often). To bool, x != 0 (tfjs-backend-wasm 4.22 keeps an int32's
 * value, so 2 stays 2). Otherwise as typed arrays convert: float32 to int32 truncates toward zero.
 */
export function castKernel(backendName: string, fallback: tf.KernelConfig): tf.KernelConfig {
  const kinds = new Set(['float32', 'int32', 'bool']);
  return {
    kernelName: tf.Cast,
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      const dtype = args.attrs?.['dtype'] as tf.DataType;
      const backend = args.backend as unknown as WasmHeapBackend;
      if (dtype === x.dtype) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      }
      if (!kinds.has(dtype) || !kinds.has(x.dtype)) return fallback.kernelFunc(args);
      const out = backend.makeOutput(x.shape, dtype);
      const src = view(backend, x);
      const dst = view(backend, out);
      if (dtype === 'bool') for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      else dst.set(src);
      return out;
    },
  };
}
