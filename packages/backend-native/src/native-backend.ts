import type { Availability, Backend, BackendInfo } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { blasInfo, describeGemm, INSTALL_COMPILER, INSTALL_OPENBLAS, loadAddon, type BlasInfo } from './addon.js';
import { NATIVE_TFJS_NAME, registerNativeBackend } from './register.js';

/** Options of the native CPU backend. */
export interface NativeBackendOptions {
  /** Threads of the native kernels (default: FLATSPARSE_NATIVE_THREADS, else every core). */
  readonly threads?: number;
  /** Priority in 'auto' selection (default 25: above wasm and tensorflow-cpu, below the GPU backends). */
  readonly priority?: number;
}

const CAPABILITIES = { float16: false, exactSecondOrder: false, gpu: false } as const;
export const NATIVE_INSTALL = `a C++ compiler (${INSTALL_COMPILER}), then pnpm install (the package compiles its addon at install; nothing is downloaded); for the fastest products on Linux, OpenBLAS too (${INSTALL_OPENBLAS}; no rebuild needed)`;

/** How to get faster products than the built-in GEMM's, where none was asked for explicitly; undefined otherwise. */
function blasHint(info: BlasInfo): string | undefined {
  if (info.active !== 'builtin' || info.resolved !== 'builtin' || info.requested !== null) return undefined;
  return process.platform === 'linux' ? `${INSTALL_OPENBLAS} (Debian/Ubuntu; no rebuild needed)` : 'set FLATSPARSE_BLAS to a CBLAS library';
}

/** The detail line: what the products run on (the library's file, or the built-in GEMM), the threads; withHint: how to get OpenBLAS. */
export function nativeDetail(info: BlasInfo, threads: number, withHint: boolean): string {
  const hint = withHint ? blasHint(info) : undefined;
  return `C++ kernels on ${describeGemm(info)}${hint === undefined ? '' : `; for faster products: ${hint}`}, ${threads} thread(s), over tfjs-backend-wasm`;
}

/** The line said once per process where no BLAS library was found (and none was asked for): undefined otherwise. */
export function builtinGemmNotice(info: BlasInfo): string | undefined {
  const hint = blasHint(info);
  return hint === undefined ? undefined : `flatsparse native backend: products run on its built-in GEMM (no BLAS library found); for faster products: ${hint}`;
}

let toldBuiltin = false;

function tellBuiltinOnce(info: BlasInfo): void {
  const notice = builtinGemmNotice(info);
  if (toldBuiltin || notice === undefined) return;
  toldBuiltin = true;
  process.stderr.write(`${notice}\n`);
}

function threadsFrom(options: NativeBackendOptions): number {
  const fromEnv = Number(process.env['FLATSPARSE_NATIVE_THREADS']);
  const wanted = options.threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism());
  return Math.max(1, Math.min(64, Math.floor(wanted)));
}

/**
 * The native CPU backend: tfjs-backend-wasm's tensors and kernels, with the products, the models'
 * fused kernels (LayerNorm, attention, dense gradients, loss, AdamW) and Identity replaced by C++
 * kernels that read and write the wasm heap in place, on every core; the products run on the BLAS
 * library the addon finds when it loads (OpenBLAS on Linux, Accelerate on macOS), else on its
 * built-in GEMM (the detail line says which). The addon is compiled at install; where it is missing
 * `isAvailable` says why and how to get it, and 'auto' selects wasm instead. Nothing is loaded or
 * registered until `init()`.
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
      return { available: true, detail: nativeDetail(blasInfo(status.addon), threadsFrom(options), true) };
    },
    async init(): Promise<BackendInfo> {
      const status = loadAddon();
      if (!status.ok) throw new Error(`the native CPU backend cannot load: ${status.reason} Fix: ${status.fix}`);
      const threads = status.addon.threads(threadsFrom(options));
      await registerNativeBackend(status.addon);
      if (!(await tf.setBackend(NATIVE_TFJS_NAME))) throw new Error(`tf.setBackend('${NATIVE_TFJS_NAME}') returned false`);
      await tf.ready();
      const info = blasInfo(status.addon);
      tellBuiltinOnce(info);
      return {
        name: 'native',
        tfjsName: NATIVE_TFJS_NAME,
        detail: nativeDetail(info, threads, false),
        // Its tensors live on tfjs-backend-wasm's 32-bit heap: 65535 pages of 64 KiB at most.
        addressableBytes: 65535 * 65536,
        capabilities: CAPABILITIES,
        facts: {
          threads,
          gemm: info.active,
          blas: info.active === 'blas' && info.library !== null ? info.library.config : `built-in GEMM (${info.builtin})`,
          ...(info.active === 'blas' && info.library !== null ? { blasLibrary: info.library.path } : {}),
          ...(status.build?.march !== undefined ? { march: status.build.march } : {}),
        },
      };
    },
    async dispose(): Promise<void> {
      // As for wasm: the tfjs instance stays registered (tfjs disposes it on tf.engine().reset() or tf.removeBackend, and
      // starts a new one at the next setBackend); runs check tensors return to baseline.
    },
  };
}
