import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the native kernels use of tfjs-backend-wasm 4.22's BackendWasm: tensors live in the wasm
 * module's heap at `memoryOffset`; outputs are allocated there with `makeOutput` (a kernel's temporaries freed with `disposeData`). Re-check these
 * members on a tfjs upgrade (test/backend-native covers them).
 */
export interface WasmHeapBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: readonly number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Byte offset of a tensor's data in the heap. */
export function offsetOf(backend: WasmHeapBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error(`flatsparse-native: a tensor of shape [${t.shape.join(', ')}] has no data on this backend`);
  return data.memoryOffset;
}

/** Offset of an optional tensor, -1 when absent. */
export function offsetOrNone(backend: WasmHeapBackend, t: tf.TensorInfo | undefined): number {
  return t === undefined ? -1 : offsetOf(backend, t);
}

/**
 * The heap as an ArrayBuffer. Take it after every output of a kernel is allocated: an allocation
 * may grow the wasm memory, which replaces the buffer.
 */
export function heapOf(backend: WasmHeapBackend): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
