import * as tf from '@tensorflow/tfjs-core';
import { chunkedAddN } from './add-n-chunked.js';
import { kernelError, missingKernelError, webgpuError, type DeviceGuard, type KernelTensor } from './device-guard.js';
import { keepOverrideMark } from './kernel-overrides.js';

const WRAPPED = Symbol.for('flatsparse.webgpu.guardedKernel');
const MISSING = Symbol.for('flatsparse.webgpu.missingKernel');
const guards = new WeakMap<object, DeviceGuard>();

type KernelFunc = tf.KernelConfig['kernelFunc'] & { [WRAPPED]?: true; [MISSING]?: true };

const tensorsOf = (x: unknown): (KernelTensor | undefined)[] => (x == null ? [] : Array.isArray(x) ? (x as KernelTensor[]) : typeof x === 'object' && 'shape' in (x as object) ? [x as KernelTensor] : Object.values(x as object).flatMap(tensorsOf));

/** AddN inputs that fit one shader: every storage buffer of the stage but the output's. */
const addNInputs = (backend: object): number => (guards.get(backend)?.limits.maxStorageBuffersPerShaderStage ?? 8) - 1;

/**
 * Kernels tfjs-backend-webgpu 4.22 lacks while tfjs-backend-cpu has them. flatsparse provides BitwiseAnd
 * and NonMaxSuppressionV4 (kernel-overrides.ts); each other one gets a stub for 'webgpu' that throws
 * E_BACKEND_KERNEL naming the kernel (tfjs' own "not registered" error has no code), and so do the
 * kernels any other backend registered when the webgpu backend starts.
 */
const KERNELS_MISSING_UPSTREAM = [
  'BitwiseAnd',
  'NonMaxSuppressionV4',
  'RaggedGather',
  'RaggedRange',
  'RaggedTensorToTensor',
  'SparseFillEmptyRows',
  'SparseReshape',
  'StaticRegexReplace',
  'StringSplit',
  'StringToHashBucketFast',
  'Unique',
] as const;

/** Registers a stub for each kernel 'webgpu' lacks (see KERNELS_MISSING_UPSTREAM). */
function stubMissingKernels(): void {
  const known = new Set<string>(KERNELS_MISSING_UPSTREAM);
  const registry = (tf.engine() as unknown as { registryFactory?: Record<string, unknown> }).registryFactory ?? {};
  for (const backendName of Object.keys(registry)) if (backendName !== 'webgpu') for (const k of tf.getKernelsForBackend(backendName)) known.add(k.kernelName);
  for (const kernelName of known) {
    if (tf.getKernel(kernelName, 'webgpu')) continue;
    const kernelFunc: KernelFunc = () => {
      throw missingKernelError(kernelName);
    };
    kernelFunc[MISSING] = true;
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
}

/**
 * Wraps every kernel registered for tfjs 'webgpu' (once per process) so that the guard of the backend
 * instance running it sees the kernel's name, inputs and outputs (and follows a failed kernel's results
 * through the kernels that use them); AddN is also split into chunks that fit the storage-buffer limit
 * (add-n-chunked.ts). Kernels of a backend instance without a guard run unchanged. Kernels 'webgpu' lacks
 * get a stub that throws a coded error.
 */
export function guardWebgpuKernels(): void {
  stubMissingKernels();
  for (const config of tf.getKernelsForBackend('webgpu')) {
    const plain = config.kernelFunc as KernelFunc;
    if (plain[WRAPPED] || plain[MISSING]) continue;
    const original: KernelFunc = config.kernelName === 'AddN' ? chunkedAddN(plain, addNInputs) : plain;
    const name = config.kernelName;
    const kernelFunc: KernelFunc = (args) => {
      const guard = guards.get(args.backend);
      if (!guard) return original(args);
      const inputs = tensorsOf(args.inputs);
      guard.beforeKernel(name, inputs);
      const out = guard.runKernel(name, inputs, () => original(args), tensorsOf);
      try {
        guard.afterKernel(name, tensorsOf(out));
      } catch (err) {
        for (const t of tensorsOf(out) as tf.TensorInfo[]) (args.backend as tf.KernelBackend).disposeData(t.dataId);
        throw err;
      }
      return out;
    };
    kernelFunc[WRAPPED] = true;
    keepOverrideMark(plain, kernelFunc);
    tf.unregisterKernel(config.kernelName, 'webgpu');
    tf.registerKernel({ ...config, kernelFunc });
  }
}

/** Whether a tensor's values live only on the GPU (a read-back transfers them); small CPU-side tensors do not count. */
function onDevice(backend: object, dataId: object): boolean {
  const data = (backend as { tensorMap?: { get(id: object): { values?: unknown } | undefined } }).tensorMap?.get(dataId);
  return data !== undefined && data.values == null;
}

/** The members of tfjs' WebGPUBackend the guard hooks or calls (tfjs-backend-webgpu 4.22). */
interface WebgpuBackendInternals {
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
  runWebGPUProgram?(program: { shaderKey?: string; constructor?: { name?: string } }, ...rest: unknown[]): { dataId?: object } | undefined;
  commandEncoder?: unknown;
  endComputePassEncoder?(): void;
  submitQueue?(): void;
  pipelineCache?: Record<string, unknown>;
}

/** Submits what the backend recorded so far (tfjs batches up to 15 kernels into one command buffer). */
function flushCommands(backend: WebgpuBackendInternals): void {
  if (backend.commandEncoder == null || typeof backend.submitQueue !== 'function') return;
  backend.endComputePassEncoder?.();
  backend.submitQueue();
}

/** Drops a pipeline that failed from tfjs' cache: the next run of its program compiles (and is checked) again. */
function forgetPipeline(backend: WebgpuBackendInternals, pipeline: object): void {
  const cache = backend.pipelineCache;
  if (!cache) return;
  for (const key of Object.keys(cache)) if (cache[key] === pipeline) delete cache[key];
}

/** A program's name for messages: its class (tfjs' names survive in the Node bundle) and its shader key. */
function programName(program: { shaderKey?: string; constructor?: { name?: string } }): string {
  const cls = program.constructor?.name;
  return [cls && cls !== 'Object' ? cls : undefined, program.shaderKey].filter(Boolean).join(' ') || 'program';
}

/**
 * Attaches the guard to a tfjs WebGPUBackend instance: its kernels report to it, its programs run
 * through it (a new shader or buffer is checked by the device, see DeviceGuard), read-backs wait for
 * those checks and throw a failed kernel's error or the device error when the device is the cause (and
 * keep the data until they end), and synchronous read-backs from the GPU are counted; in Node (no
 * OffscreenCanvas, which tfjs-backend-webgpu reads synchronously through) they fail with the fix.
 */
export function attachGuard(backend: object, guard: DeviceGuard): void {
  guards.set(backend, guard);
  const b = backend as WebgpuBackendInternals;
  const read = b.read.bind(backend);
  const readSync = b.readSync.bind(backend);
  const runProgram = b.runWebGPUProgram?.bind(backend);
  if (runProgram) {
    b.runWebGPUProgram = (program, ...rest) =>
      guard.runProgram(
        programName(program),
        () => flushCommands(b),
        (pipeline) => forgetPipeline(b, pipeline),
        () => runProgram(program, ...rest),
      );
  }
  // Data being read back is disposed only once its read ends, as tfjs-backend-webgl does: upstream frees
  // it at the next submit, and the read then fails ("Cannot read properties of undefined") when a tensor
  // is disposed right after data() was called on it (tf.tidy around a read).
  const disposeData = b.disposeData.bind(backend);
  const reads = new Map<object, number>();
  const waiting = new Map<object, boolean[]>();
  b.disposeData = (dataId, force = false) => {
    if (!reads.has(dataId)) return disposeData(dataId, force);
    waiting.set(dataId, [...(waiting.get(dataId) ?? []), force]);
    return false;
  };
  const readEnded = (dataId: object): void => {
    const left = (reads.get(dataId) ?? 1) - 1;
    if (left > 0) return void reads.set(dataId, left);
    reads.delete(dataId);
    const disposals = waiting.get(dataId) ?? [];
    waiting.delete(dataId);
    let freed = false;
    for (const force of disposals) freed = disposeData(dataId, force) || freed;
    if (freed) tf.engine().removeDataId(dataId, backend as tf.KernelBackend);
  };
  b.read = async (dataId) => {
    const at = 'a read-back (tensor.data())';
    guard.throwIfBroken(at);
    // The read starts now, as tfjs' own does; the checks of the kernels that computed the data are
    // awaited alongside.
    reads.set(dataId, (reads.get(dataId) ?? 0) + 1);
    try {
      const reading = read(dataId);
      try {
        await guard.settle(dataId, at);
      } catch (err) {
        reading.catch(() => undefined);
        throw err;
      }
      try {
        return await reading;
      } catch (err) {
        throw guard.explain(err, at);
      }
    } finally {
      readEnded(dataId);
    }
  };
  b.readSync = (dataId) => {
    if (onDevice(backend, dataId)) guard.syncReads += 1;
    const at = 'a synchronous read-back (dataSync/arraySync)';
    guard.throwIfBroken(at);
    const failed = guard.failureOf(dataId);
    if (failed) throw kernelError(failed, at);
    try {
      return readSync(dataId);
    } catch (err) {
      if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined' && /OffscreenCanvas/.test(String(err))) {
        throw webgpuError('a synchronous read-back (dataSync/arraySync/bufferSync) is not possible in Node: tfjs-backend-webgpu reads synchronously through OffscreenCanvas, which Node lacks.', 'read asynchronously: await tensor.data() or tensor.array().', err);
      }
      throw guard.explain(err, at);
    }
  };
}

/** The guard attached to a tfjs backend instance, if any. */
export function guardOf(backend: object): DeviceGuard | undefined {
  return guards.get(backend);
}
