import * as tf from '@tensorflow/tfjs-core';
import { guardOf } from './kernel-guard.js';

/** What the running WebGPU backend has done, and the GPU memory it holds. */
export interface WebgpuStatus {
  /** True while tfjs 'webgpu' exists (initialised by webgpuBackend() and not disposed). */
  readonly active: boolean;
  /** Kernels run since the device was created. */
  readonly kernels: number;
  /** Synchronous read-backs from the GPU (dataSync/arraySync of data not cached on the CPU) since the device was created: training does none. */
  readonly syncReads: number;
  /** The last kernel that ran. */
  readonly lastKernel: string;
  /** Bytes in GPU buffers held by live tensors (tf.memory().numBytesInGPU). */
  readonly numBytesInGPU: number;
  /** Bytes in GPU buffers allocated, pooled ones included (tf.memory().numBytesAllocatedInGPU). */
  readonly numBytesAllocatedInGPU: number;
}

/** The status of the WebGPU backend of this process (zeros when it is not running). */
export function webgpuStatus(): WebgpuStatus {
  const backend = tf.findBackend('webgpu');
  const guard = backend ? guardOf(backend) : undefined;
  const memory: { numBytesInGPU?: number; numBytesAllocatedInGPU?: number } = (backend?.memory() as { numBytesInGPU?: number; numBytesAllocatedInGPU?: number } | undefined) ?? {};
  return {
    active: backend !== null,
    kernels: guard?.kernels ?? 0,
    syncReads: guard?.syncReads ?? 0,
    lastKernel: guard?.lastKernel ?? '(none)',
    numBytesInGPU: memory.numBytesInGPU ?? 0,
    numBytesAllocatedInGPU: memory.numBytesAllocatedInGPU ?? 0,
  };
}
