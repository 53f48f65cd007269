import type { Availability, Backend, BackendInfo } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';

/** The most a 32-bit WebAssembly memory can grow to (tfjs-backend-wasm's heap): 4 GiB less one 64 KiB page. */
const WASM_HEAP_BYTES = 65535 * 65536;

/** Options of the embedded default backend. */
export interface WasmBackendOptions {
  /** Allow falling back to the pure-JS CPU backend when wasm cannot load (default true). */
  readonly allowCpuFallback?: boolean;
  /** Number of wasm threads, where the threaded build is available (default: tfjs decides). */
  readonly threads?: number;
  /** Priority in 'auto' selection (default 10: below every GPU backend). */
  readonly priority?: number;
  /**
   * Where the .wasm binaries are (a directory prefix ending in '/', or a map from file name to URL),
   * for bundlers and browsers that serve them elsewhere. Default: next to the package's own code.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
}

/**
 * The embedded default backend: TensorFlow.js on WebAssembly (SIMD where available), about 35 times
 * faster than the pure-JS CPU backend. Falls back to the CPU backend only where wasm cannot load, and
 * says so in `BackendInfo.fallback`. Nothing is imported or registered until `init()`.
 */
export function wasmBackend(options: WasmBackendOptions = {}): Backend {
  const allowCpuFallback = options.allowCpuFallback ?? true;
  return {
    name: 'wasm',
    tfjsName: 'wasm',
    priority: options.priority ?? 10,
    capabilities: { float16: false, exactSecondOrder: false, gpu: false },
    install: 'pnpm add @flatsparse/backend-wasm (it ships the wasm binaries; nothing is downloaded)',
    async isAvailable(): Promise<Availability> {
      if (typeof WebAssembly !== 'object') {
        return allowCpuFallback
          ? { available: true, detail: 'WebAssembly is missing; the pure-JS CPU backend will be used' }
          : { available: false, reason: 'this JavaScript runtime has no WebAssembly.', fix: 'use Node 20+ or a current browser, or allow the CPU fallback.' };
      }
      try {
        await import('@tensorflow/tfjs-backend-wasm');
        return { available: true, detail: 'tfjs-backend-wasm' };
      } catch (err) {
        if (allowCpuFallback) return { available: true, detail: `wasm failed to import (${message(err)}); the CPU backend will be used` };
        return { available: false, reason: `@tensorflow/tfjs-backend-wasm failed to import: ${message(err)}.`, fix: 'reinstall dependencies (pnpm install) or allow the CPU fallback.' };
      }
    },
    async init(): Promise<BackendInfo> {
      let wasmError: unknown;
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        if (options.threads !== undefined) wasm.setThreadsCount(options.threads);
        if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths as Parameters<typeof wasm.setWasmPaths>[0]);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
          const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
          return {
            name: 'wasm',
            tfjsName: 'wasm',
            detail: `tfjs-backend-wasm ${wasm.version_wasm} (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`,
            capabilities: { float16: false, exactSecondOrder: false, gpu: false },
            facts: { simd: Boolean(simd), threads: Boolean(threads), version: wasm.version_wasm },
            // A 32-bit WebAssembly memory grows to 65535 pages of 64 KiB.
            addressableBytes: WASM_HEAP_BYTES,
          };
        }
        wasmError = new Error('tf.setBackend("wasm") returned false (the wasm module failed to instantiate)');
      } catch (err) {
        wasmError = err;
      }
      if (!allowCpuFallback) throw wasmError;
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error(`neither wasm (${message(wasmError)}) nor the CPU backend could be initialised`);
      return {
        name: 'wasm',
        tfjsName: 'cpu',
        detail: 'tfjs-backend-cpu (pure JavaScript, about 35x slower than wasm)',
        capabilities: { float16: false, exactSecondOrder: false, gpu: false },
        fallback: `wasm could not load: ${message(wasmError)}`,
      };
    },
    async dispose(): Promise<void> {
      // The tfjs engine keeps one instance per backend for the whole process and the wasm module
      // registers its factory only once (on first import), so the instance is kept for the next run;
      // its memory is what live tensors hold, and runs check those are back at baseline.
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
