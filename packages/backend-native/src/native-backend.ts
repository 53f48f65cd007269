import type { Availability, Backend, BackendInfo } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon.js';
import { NATIVE_TFJS_NAME, registerNativeBackend } from './register.js';

/** Options of the native CPU backend. */
export interface NativeBackendOptions {
  /** Threads of the native kernels (default: FLATSPARSE_NATIVE_THREADS, else every core). */
  readonly threads?: number;
  /** Priority in 'auto' selection (default 25: above wasm and tensorflow-cpu, below the GPU backends). */
  readonly priority?: number;
}

const CAPABILITIES = { float16: false, exactSecondOrder: false, gpu: false } as const;
export const NATIVE_INSTALL = 'apt-get install -y g++ libopenblas-dev, then pnpm install (the package compiles its addon at install; nothing is downloaded)';

function threadsFrom(options: NativeBackendOptions): number {
  const fromEnv = Number(process.env['FLATSPARSE_NATIVE_THREADS']);
  const wanted = options.threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism());
  return Math.max(1, Math.min(64, Math.floor(wanted)));
}

/**
 * The native CPU backend: tfjs-backend-wasm's tensors and kernels, with the products, the models'
 * fused kernels (LayerNorm, attention, dense gradients, loss, AdamW) and Identity replaced by C++
 * kernels on OpenBLAS that read and write the wasm heap in place, on every core. The addon is
 * compiled at install; where it is missing `isAvailable` says why and how to get it, and 'auto'
 * selects wasm instead. Nothing is loaded or registered until `init()`.
 */
export function nativeBackend(options: NativeBackendOptions = {}): Backend {
  return {
    name: 'native',
    tfjsName: NATIVE_TFJS_NAME,
    priority: options.priority ?? 25,
    capabilities: CAPABILITIES,
    install: NATIVE_INSTALL,
    async isAvailable(): Promise<Availability> {
      const status = loadAddon();
      if (!status.ok) return { available: false, reason: `the native CPU kernels cannot load: ${status.reason}`, fix: status.fix };
      try {
        await import('@tensorflow/tfjs-backend-wasm');
      } catch (err) {
        return { available: false, reason: `@tensorflow/tfjs-backend-wasm failed to import: ${err instanceof Error ? err.message : String(err)}.`, fix: 'reinstall dependencies (pnpm install).' };
      }
      return { available: true, detail: `C++ kernels on OpenBLAS over tfjs-backend-wasm, ${threadsFrom(options)} thread(s)` };
    },
    async init(): Promise<BackendInfo> {
      const status = loadAddon();
      if (!status.ok) throw new Error(`the native CPU backend cannot load: ${status.reason} Fix: ${status.fix}`);
      const threads = status.addon.threads(threadsFrom(options));
      await registerNativeBackend(status.addon);
      if (!(await tf.setBackend(NATIVE_TFJS_NAME))) throw new Error(`tf.setBackend('${NATIVE_TFJS_NAME}') returned false`);
      await tf.ready();
      const blas = status.addon.blasConfig();
      return {
        name: 'native',
        tfjsName: NATIVE_TFJS_NAME,
        detail: `C++ kernels on ${blas.split(' ').slice(0, 2).join(' ')}, ${threads} thread(s), over tfjs-backend-wasm`,
        capabilities: CAPABILITIES,
        facts: { threads, blas, ...(status.build?.march !== undefined ? { march: status.build.march } : {}) },
      };
    },
    async dispose(): Promise<void> {
      // As for wasm: the tfjs instance (shared with 'wasm') lives for the process; runs check tensors return to baseline.
    },
  };
}
