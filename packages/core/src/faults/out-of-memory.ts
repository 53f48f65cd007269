import { type BackendInfo, FlatsparseError } from '@flatsparse/plugin-api';
import { memoryLimit } from '../pipeline/memory-estimate.js';

/**
 * What allocation failures look like from each layer: a 32-bit WebAssembly heap that cannot grow (the
 * wasm and native backends: the kernel reads through a null allocation, or Emscripten aborts), V8
 * refusing an ArrayBuffer or typed array, a GPU device out of memory.
 */
const ALLOCATION_FAILURE = [
  /memory access out of bounds/i,
  /Aborted\(OOM\)/,
  /Cannot enlarge memory/i,
  /Maximum memory size exceeded/i,
  /WebAssembly\.Memory.*(grow|allocate)/i,
  /Array buffer allocation failed/i,
  /Invalid typed array length/i,
  /out of memory/i,
  /OOM when allocating/i,
];

/** The backend ran out of memory (or read outside it) while the run was working. */
export class OutOfMemoryError extends FlatsparseError {
  constructor(backend: Pick<BackendInfo, 'name' | 'tfjsName' | 'addressableBytes'> | undefined, original: string) {
    const limit = backend === undefined ? undefined : memoryLimit(backend);
    super('E_OUT_OF_MEMORY', `The ${backend === undefined ? 'backend' : `backend '${backend.name}'`} could not allocate memory for the run (${original})${limit === undefined ? '' : `; its limit is ${(limit.bytes / 2 ** 30).toFixed(1)} GiB, ${limit.what}`}.${backend?.tfjsName === 'wasm' || backend?.name === 'native' ? ' The WebAssembly instance it ran on is aborted: use the backend again only in a new process, or after tf.engine().reset() starts a fresh instance.' : ''}`, {
      received: original,
      fix: 'shrink the model (model.d, model.depth, model.mlpWidth) or train.batchSize, turn off the metrics you do not need (their passes hold extra tensors), or use a backend with more memory; a run with checkpoints resumes from its last one with --resume <run-dir>.',
    });
  }
}

/** The messages of an error and its causes. */
function messages(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    out.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  }
  return out;
}

/**
 * An allocation failure as OutOfMemoryError (E_OUT_OF_MEMORY), naming the backend, its limit and what
 * to shrink; undefined for any other error (and for errors already coded as something else but a
 * wrapper of an allocation failure, which are rewrapped).
 */
export function asOutOfMemory(err: unknown, backend?: Pick<BackendInfo, 'name' | 'tfjsName' | 'addressableBytes'>): OutOfMemoryError | undefined {
  if (err instanceof OutOfMemoryError) return err;
  const found = messages(err).find((m) => ALLOCATION_FAILURE.some((p) => p.test(m)));
  return found === undefined ? undefined : new OutOfMemoryError(backend, found.split('\n')[0]!.slice(0, 300));
}
