import * as tf from '@tensorflow/tfjs-core';
import { chunkedAddN } from './add-n-chunked.js';
import { webgpuError, type DeviceGuard, type KernelTensor } from './device-guard.js';

const WRAPPED = Symbol.for('flatsparse.webgpu.guardedKernel');
const guards = new WeakMap<object, DeviceGuard>();

type KernelFunc = tf.KernelConfig['kernelFunc'] & { [WRAPPED]?: true };

const tensorsOf = (x: unknown): (KernelTensor | undefined)[] => (x == null ? [] : Array.isArray(x) ? (x as KernelTensor[]) : typeof x === 'object' && 'shape' in (x as object) ? [x as KernelTensor] : Object.values(x as object).flatMap(tensorsOf));

/** AddN inputs that fit one shader: every storage buffer of the stage but the output's. */
const addNInputs = (backend: object): number => (guards.get(backend)?.limits.maxStorageBuffersPerShaderStage ?? 8) - 1;

/**
 * Wraps every kernel registered for tfjs 'webgpu' (once per process) so that the guard of the backend
 * instance running it sees the kernel's name, inputs and outputs; AddN is also split into chunks that
 * fit the storage-buffer limit (add-n-chunked.ts). Kernels of a backend instance without a guard run
 * unchanged.
 */
export function guardWebgpuKernels(): void {
  for (const config of tf.getKernelsForBackend('webgpu')) {
    if ((config.kernelFunc as KernelFunc)[WRAPPED]) continue;
    const plain = config.kernelFunc as KernelFunc;
    const original: KernelFunc = config.kernelName === 'AddN' ? chunkedAddN(plain, addNInputs) : plain;
    const kernelFunc: KernelFunc = (args) => {
      const guard = guards.get(args.backend);
      if (!guard) return original(args);
      guard.beforeKernel(config.kernelName, tensorsOf(args.inputs));
      const out = original(args);
      try {
        guard.afterKernel(config.kernelName, tensorsOf(out));
      } catch (err) {
        for (const t of tensorsOf(out) as tf.TensorInfo[]) (args.backend as tf.KernelBackend).disposeData(t.dataId);
        throw err;
      }
      return out;
    };
    kernelFunc[WRAPPED] = true;
    tf.unregisterKernel(config.kernelName, 'webgpu');
    tf.registerKernel({ ...config, kernelFunc });
  }
}

/** Whether a tensor's values live only on the GPU (a read-back transfers them); small CPU-side tensors do not count. */
function onDevice(backend: object, dataId: object): boolean {
  const data = (backend as { tensorMap?: { get(id: object): { values?: unknown } | undefined } }).tensorMap?.get(dataId);
  return data !== undefined && data.values == null;
}

interface ReadableBackend {
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
}

/**
 * Attaches the guard to a tfjs WebGPUBackend instance: its kernels report to it, read-backs throw the
 * device error when the device is the cause, and synchronous read-backs from the GPU are counted; in Node (no
 * OffscreenCanvas, which tfjs-backend-webgpu reads synchronously through) they fail with the fix.
 */
export function attachGuard(backend: object, guard: DeviceGuard): void {
  guards.set(backend, guard);
  const b = backend as ReadableBackend;
  const read = b.read.bind(backend);
  const readSync = b.readSync.bind(backend);
  b.read = async (dataId) => {
    guard.throwIfBroken('a read-back (tensor.data())');
    try {
      return await read(dataId);
    } catch (err) {
      throw guard.explain(err, 'a read-back (tensor.data())');
    }
  };
  b.readSync = (dataId) => {
    if (onDevice(backend, dataId)) guard.syncReads += 1;
    guard.throwIfBroken('a synchronous read-back (dataSync/arraySync)');
    try {
      return readSync(dataId);
    } catch (err) {
      if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined' && /OffscreenCanvas/.test(String(err))) {
        throw webgpuError('a synchronous read-back (dataSync/arraySync/bufferSync) is not possible in Node: tfjs-backend-webgpu reads synchronously through OffscreenCanvas, which Node lacks.', 'read asynchronously: await tensor.data() or tensor.array().', err);
      }
      throw guard.explain(err, 'a synchronous read-back');
    }
  };
}

/** The guard attached to a tfjs backend instance, if any. */
export function guardOf(backend: object): DeviceGuard | undefined {
  return guards.get(backend);
}
