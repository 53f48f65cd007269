import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The addon's functions (native/addon.cc). Each takes the wasm heap (an ArrayBuffer) first and
 * byte offsets into it; -1 stands for an absent optional tensor. Sizes are element counts.
 */
export interface NativeAddon {
  gemm(heap: ArrayBuffer, transA: boolean, transB: boolean, batch: number, m: number, n: number, k: number, alpha: number, a: number, strideA: number, b: number, strideB: number, c: number, bias: number, relu: boolean): void;
  /**
   * c = op(a) op(b) + bias, then the activation (0 linear, 1 relu, 2 relu6, 3 elu, 4 prelu with alpha, 5 leakyrelu with
   * leakyAlpha, 6 sigmoid), as tfjs-backend-cpu computes them. Bias and alpha (-1: none) are read at element
   * (i, r, c) of the [batch, m, n] output as offset + 4 (i batch + r row + c col); col is 0 or 1.
   */
  fusedGemm(heap: ArrayBuffer, transA: boolean, transB: boolean, batch: number, m: number, n: number, k: number, a: number, strideA: number, b: number, strideB: number, c: number, bias: number, biasBatch: number, biasRow: number, biasCol: number, activation: number, alpha: number, alphaBatch: number, alphaRow: number, alphaCol: number, leakyAlpha: number): void;
  denseGrad(heap: ArrayBuffer, transposedW: boolean, rows: number, inSize: number, outSize: number, x: number, w: number, dy: number, dx: number, dw: number, db: number): void;
  columnSums(heap: ArrayBuffer, rows: number, cols: number, x: number, out: number): void;
  layerNorm(heap: ArrayBuffer, rows: number, d: number, epsilon: number, x: number, scale: number, shift: number, y: number, xhat: number, rstd: number): void;
  layerNormGrad(heap: ArrayBuffer, rows: number, d: number, dy: number, xhat: number, rstd: number, scale: number, dx: number, dscale: number, dshift: number): void;
  attention(heap: ArrayBuffer, batch: number, tokens: number, heads: number, d: number, causal: boolean, qkv: number, out: number, probs: number): void;
  attentionGrad(heap: ArrayBuffer, batch: number, tokens: number, heads: number, d: number, dy: number, qkv: number, probs: number, dqkv: number): void;
  softmaxCrossEntropy(heap: ArrayBuffer, rows: number, classes: number, smoothing: number, logits: number, targets: number, probs: number, loss: number): void;
  softmaxCrossEntropyGrad(heap: ArrayBuffer, rows: number, classes: number, smoothing: number, dy: number, probs: number, targets: number, dlogits: number): void;
  /** list: (offset, size) pairs. */
  globalNorm(heap: ArrayBuffer, list: Float64Array, out: number): void;
  /** list: (param, grad, m, v, param1, m1, v1, size) per parameter. */
  adamw(heap: ArrayBuffer, list: Float64Array, rate: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, epsilon: number, bc1: number, bc2: number, weightDecay: number, gradScale: number, gate: number): void;
  /** out = a op b (op: 0 add, 1 sub, 2 mul, 3 div; mode: 0 same shape, 1 b scalar, 2 a scalar, 3 b a row of length inner, 4 a a row, 5 b one value per row, 6 a one value per row). */
  binary(heap: ArrayBuffer, op: number, mode: number, n: number, inner: number, a: number, b: number, out: number): void;
  /** y = op(x) (op: 0 step, 1 abs, 2 relu, 3 square, 4 neg, 5 exp, 6 sqrt; alpha: step's value at x <= 0). */
  unary(heap: ArrayBuffer, op: number, n: number, x: number, y: number, alpha: number): void;
  /** Reduction of x [outer, inner] (op: 0 sum, 1 mean, 2 max; mode: 0 over inner, 1 over outer, 2 all). */
  reduce(heap: ArrayBuffer, op: number, mode: number, outer: number, inner: number, x: number, out: number): void;
  /** intervals: (lo, hi, loOpen, hiOpen, empty) per interval. Writes the count inside and the per-column ever-outside flags. */
  intervalStats(heap: ArrayBuffer, rows: number, cols: number, x: number, intervals: Float64Array, inside: number, everOutside: number): void;
  rowSumSquares(heap: ArrayBuffer, rows: number, cols: number, x: number, out: number): void;
  /** u = -1: unit weights. Also writes x's interval counts (inside, everOutside) as intervalStats does. */
  maskedRowSumSquares(heap: ArrayBuffer, rows: number, cols: number, u: number, v: number, x: number, intervals: Float64Array, out: number, inside: number, everOutside: number): void;
  /** The worker threads (the caller included); with a number, sets them first. */
  threads(count?: number): number;
  /**
   * c = alpha op(a) op(b) + beta c, row-major, as cblas_sgemm, on the heap (a diagnostic: the kernels
   * call the same product directly). which: 0 what the kernels use, 1 the built-in GEMM, 2 the BLAS
   * library (throws when none is loaded).
   */
  sgemm(heap: ArrayBuffer, which: 0 | 1 | 2, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void;
  /** What the products run on, as JSON (see BlasInfo and blasInfo()). */
  blasInfo(): string;
  /** Products on the built-in GEMM (true) or on the loaded library (false); returns whether the built-in GEMM is in use. */
  useBuiltinGemm(on: boolean): boolean;
  /** Loads a BLAS library (path or soname) and makes it the one the products use; '' or why not (then nothing changed). requireOptimized: only OpenBLAS, BLIS or MKL. */
  loadBlas(candidate: string, requireOptimized: boolean): string;
  /** Searches for a BLAS library again (FLATSPARSE_BLAS, else the default order); returns blasInfo(). */
  resolveBlas(): string;
}

/**
 * What the addon's products run on (native/blas.cc). The addon finds a BLAS library when it loads:
 * FLATSPARSE_BLAS when set ('builtin', or a library path or soname), else on Linux libopenblas.so.0,
 * Debian's openblas-pthread / -openmp / -serial directories, libopenblasp.so.0, libopenblaso.so.0,
 * then libblas.so.3 where it is OpenBLAS, BLIS or MKL; on macOS Accelerate (linked). Where none is
 * found, its built-in GEMM.
 */
export interface BlasInfo {
  /** What the search found. */
  readonly resolved: 'blas' | 'builtin';
  /** What the products run on now (tests and benchmarks can switch to the built-in GEMM). */
  readonly active: 'blas' | 'builtin';
  /** The library found: the file it was loaded from (symbolic links resolved), its name and version, its configuration. */
  readonly library: { readonly path: string; readonly name: string; readonly config: string } | null;
  /** FLATSPARSE_BLAS, when set. */
  readonly requested: string | null;
  /** What was searched for, in order. */
  readonly candidates: readonly string[];
  /** The candidates that did not load before the one that did, and why. */
  readonly tried: readonly { readonly candidate: string; readonly error: string }[];
  /** How the built-in GEMM was compiled. */
  readonly builtin: string;
}

/** The addon's BlasInfo, parsed. */
export function blasInfo(addon: NativeAddon): BlasInfo {
  return JSON.parse(addon.blasInfo()) as BlasInfo;
}

/** The command that installs OpenBLAS's run-time library (Debian/Ubuntu): all the native backend needs for its fastest products. */
export const INSTALL_OPENBLAS = 'apt-get install -y libopenblas0-pthread';

/** One phrase for what the products run on: the library and its file, or the built-in GEMM and why. */
export function describeGemm(info: BlasInfo): string {
  if (info.active === 'blas' && info.library !== null) return `${info.library.name} (${info.library.path})`;
  if (info.resolved === 'blas') return 'the built-in GEMM (switched from the BLAS library)';
  if (info.requested !== null) {
    const failed = info.tried[0];
    return `the built-in GEMM (FLATSPARSE_BLAS=${info.requested}${failed === undefined ? '' : `: ${failed.error}`})`;
  }
  return 'the built-in GEMM (no BLAS library found)';
}

/** The addon, or why it cannot be used and how to fix that. */
export type AddonStatus =
  | { readonly ok: true; readonly addon: NativeAddon; readonly path: string; readonly build?: BuildStatus }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

/** What scripts/build-native.mjs recorded in build/status.json. */
export interface BuildStatus {
  readonly ok: boolean;
  readonly reason?: string;
  readonly fix?: string;
  readonly compiler?: string;
  readonly march?: string;
  /** What the products ran on when the build loaded the addon once (the search is repeated at every load). */
  readonly blas?: string;
  readonly node?: string;
}

const BUILD = 'pnpm --filter @flatsparse/backend-native run build:native';
/** How to get a C++ compiler (all the build needs besides Node's headers). */
export const INSTALL_COMPILER = process.platform === 'darwin' ? 'xcode-select --install' : 'apt-get install -y g++';

/** Where the build puts the addon (FLATSPARSE_NATIVE_ADDON overrides it; its status.json is read from the same folder). */
export function addonPath(): string {
  return process.env['FLATSPARSE_NATIVE_ADDON'] ?? fileURLToPath(new URL('../build/flatsparse_native.node', import.meta.url));
}

/** The build's status file (build/status.json, beside the addon). */
function readBuildStatus(): BuildStatus | undefined {
  const file = join(dirname(addonPath()), 'status.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuildStatus;
  } catch {
    return undefined;
  }
}

function explainLoadError(message: string): { reason: string; fix: string } {
  if (/NODE_MODULE_VERSION|was compiled against a different Node/.test(message)) return { reason: `the addon was built for another Node version (${message}).`, fix: BUILD };
  if (/illegal instruction|invalid ELF|wrong ELF class/i.test(message)) return { reason: `the addon was built for another processor (${message}).`, fix: `${BUILD} (on this machine)` };
  return { reason: `the addon failed to load: ${message}`, fix: BUILD };
}

/** The functions the kernels call: an addon built from older sources that lacks one is refused (with the rebuild command) instead of failing mid-run. */
const REQUIRED: readonly (keyof NativeAddon)[] = ['gemm', 'fusedGemm', 'denseGrad', 'columnSums', 'layerNorm', 'layerNormGrad', 'attention', 'attentionGrad', 'softmaxCrossEntropy', 'softmaxCrossEntropyGrad', 'globalNorm', 'adamw', 'binary', 'unary', 'reduce', 'intervalStats', 'rowSumSquares', 'maskedRowSumSquares', 'threads', 'sgemm', 'blasInfo', 'useBuiltinGemm', 'loadBlas', 'resolveBlas'];

let cached: AddonStatus | undefined;

/** Loads the addon once (never throws): FLATSPARSE_NATIVE=0 disables it. */
export function loadAddon(): AddonStatus {
  if (cached !== undefined) return cached;
  cached = load();
  return cached;
}

/** Forgets the loaded addon status (tests that change FLATSPARSE_NATIVE_ADDON). */
export function resetAddonStatus(): void {
  cached = undefined;
}

function load(): AddonStatus {
  if (process.env['FLATSPARSE_NATIVE'] === '0') return { ok: false, reason: 'it is disabled (FLATSPARSE_NATIVE=0).', fix: 'unset FLATSPARSE_NATIVE.' };
  const path = addonPath();
  const build = readBuildStatus();
  if (!existsSync(path)) {
    if (build !== undefined && !build.ok) return { ok: false, reason: `the addon was not built: ${build.reason ?? 'unknown reason'}`, fix: build.fix ?? `${INSTALL_COMPILER}, then ${BUILD}` };
    return { ok: false, reason: `the addon is missing (${path}): it is built by the package's install script, which did not run.`, fix: `${INSTALL_COMPILER}, then ${BUILD}` };
  }
  // Threads are the addon's own (native/pool.cc); the BLAS library it finds must not start a pool of
  // its own (read when the library loads, which is when the addon loads).
  process.env['OPENBLAS_NUM_THREADS'] ??= '1';
  if (process.platform === 'darwin') process.env['VECLIB_MAXIMUM_THREADS'] ??= '1';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0) return { ok: false, reason: `the addon is out of date: it lacks ${missing.join(', ')} (built from older sources).`, fix: BUILD };
    return build === undefined ? { ok: true, addon, path } : { ok: true, addon, path, build };
  } catch (err) {
    return { ok: false, ...explainLoadError(err instanceof Error ? err.message : String(err)) };
  }
}
