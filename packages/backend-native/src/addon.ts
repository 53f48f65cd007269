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
  /** OpenBLAS's build configuration (openblas_get_config). */
  blasConfig(): string;
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
  readonly blas?: string;
  readonly node?: string;
}

const BUILD = 'pnpm --filter @flatsparse/backend-native run build:native';
const APT = 'apt-get install -y g++ libopenblas-dev';

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
  if (/libopenblas|libblas|libgfortran/.test(message)) return { reason: `the addon cannot find its OpenBLAS library (${message}).`, fix: 'apt-get install -y libopenblas0-pthread' };
  if (/NODE_MODULE_VERSION|was compiled against a different Node/.test(message)) return { reason: `the addon was built for another Node version (${message}).`, fix: BUILD };
  if (/illegal instruction|invalid ELF|wrong ELF class/i.test(message)) return { reason: `the addon was built for another processor (${message}).`, fix: `${BUILD} (on this machine)` };
  return { reason: `the addon failed to load: ${message}`, fix: BUILD };
}

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
    if (build !== undefined && !build.ok) return { ok: false, reason: `the addon was not built: ${build.reason ?? 'unknown reason'}`, fix: `${build.fix ?? APT}, then ${BUILD}` };
    return { ok: false, reason: `the addon is missing (${path}): it is built by the package's install script, which did not run.`, fix: `${APT}, then ${BUILD}` };
  }
  // Threads are the addon's own (native/pool.cc); OpenBLAS must not start a pool of its own.
  process.env['OPENBLAS_NUM_THREADS'] ??= '1';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    return build === undefined ? { ok: true, addon, path } : { ok: true, addon, path, build };
  } catch (err) {
    return { ok: false, ...explainLoadError(err instanceof Error ? err.message : String(err)) };
  }
}
