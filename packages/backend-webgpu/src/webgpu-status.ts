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
  /** Kernels the device reported as failed (a shader that does not compile, out of memory) since it was created; each was an error for its op only. */
  readonly failedKernels: number;
  /** True once the device is lost: every later op fails with E_BACKEND_UNAVAILABLE until the backend is initialised again. */
  readonly deviceLost: boolean;
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
    failedKernels: guard?.failedKernels ?? 0,
    deviceLost: guard?.isLost ?? false,
    numBytesInGPU: memory.numBytesInGPU ?? 0,
    numBytesAllocatedInGPU: memory.numBytesAllocatedInGPU ?? 0,
  };
}
