import { addonPath, blasInfo, describeGemm, loadAddon, nativeBackend, NATIVE_TFJS_NAME, type BlasInfo, type NativeAddon } from '@flatsparse/backend-native';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { layerNorm, linear, registerGradients, selfAttention, softmaxCrossEntropy } from '@flatsparse/core';
import { Rng } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinGemmNotice, nativeDetail } from '../../packages/backend-native/src/native-backend.js';

// The products of the native backend: the built-in GEMM (native/gemm_builtin.cc) and the BLAS library
// the addon finds when it loads (native/blas.cc), against a float64 reference and against each other,
// on odd shapes, every transpose, alpha and beta, padded leading dimensions and the blocking edges;
// the models' kernels on the built-in GEMM against the BLAS; and the order in which a BLAS library is
// searched for, what is reported, and what FLATSPARSE_BLAS does (in child processes, so that this
// process keeps its own library).

const status = loadAddon();
if (!status.ok) console.warn(`[skip] the native addon is not available: ${status.reason} Fix: ${status.fix}`);
const addon = status.ok ? status.addon : (undefined as unknown as NativeAddon);
const info: BlasInfo | undefined = status.ok ? blasInfo(status.addon) : undefined;
const hasLibrary = info?.resolved === 'blas';
if (status.ok && !hasLibrary) console.warn('[skip] no BLAS library was found here: the built-in GEMM is compared with the float64 reference only');

const rng = new Rng(5);

interface Case {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly ta: boolean;
  readonly tb: boolean;
  readonly alpha: number;
  readonly beta: number;
  /** Extra columns in every leading dimension (strided operands, as the attention's per-head products). */
  readonly pad: number;
}

/** Runs one product on a fresh heap; returns c and the float64 reference. */
function product(which: 0 | 1 | 2, c: Case, seed: number): { got: Float32Array; want: Float64Array; scale: Float64Array } {
  const r = new Rng(seed);
  const { m, n, k, ta, tb, alpha, beta, pad } = c;
  const lda = (ta ? m : k) + pad;
  const ldb = (tb ? k : n) + pad;
  const ldc = n + pad;
  const aRows = ta ? k : m;
  const bRows = tb ? n : k;
  const aLen = aRows * lda;
  const bLen = bRows * ldb;
  const cLen = m * ldc;
  const heap = new ArrayBuffer(4 * (aLen + bLen + cLen) + 16);
  const A = new Float32Array(heap, 0, aLen);
  const B = new Float32Array(heap, 4 * aLen, bLen);
  const C = new Float32Array(heap, 4 * (aLen + bLen), cLen);
  for (let i = 0; i < aLen; i++) A[i] = r.normal();
  for (let i = 0; i < bLen; i++) B[i] = r.normal();
  // With beta 0, c must not be read (CBLAS): NaN there must not leak into the result.
  for (let i = 0; i < cLen; i++) C[i] = beta === 0 ? Number.NaN : r.normal();
  const opA = (i: number, p: number): number => (ta ? A[p * lda + i]! : A[i * lda + p]!);
  const opB = (p: number, j: number): number => (tb ? B[j * ldb + p]! : B[p * ldb + j]!);
  const want = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const t = opA(i, p) * opB(p, j);
        s += t;
        mag += Math.abs(t);
      }
      const old = beta === 0 ? 0 : C[i * ldc + j]!;
      want[i * n + j] = alpha * s + beta * old;
      scale[i * n + j] = Math.abs(alpha) * mag + Math.abs(beta * old);
    }
  }
  addon.sgemm(heap, which, ta, tb, m, n, k, alpha, 0, lda, 4 * aLen, ldb, beta, 4 * (aLen + bLen), ldc);
  const got = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) got[i * n + j] = C[i * ldc + j]!;
    // The padding columns of c are never written.
    for (let j = n; j < ldc; j++) if (beta !== 0) expect(Number.isNaN(C[i * ldc + j]!)).toBe(false);
  }
  return { got, want, scale };
}

/** Largest error relative to the sum of |terms| (float32 rounding: a few ulp times sqrt(k) at most). */
function worstError(got: Float32Array, want: Float64Array, scale: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(got[i]!)) return Infinity;
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (scale[i]! || 1));
  }
  return worst;
}

// Odd shapes, and the edges of the built-in GEMM's blocks (micro-tile 6 x 8/16/32, MC 72, KC 256, NC 2048).
const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [5, 1, 9],
  [7, 13, 1],
  [13, 17, 19],
  [50, 16, 50],
  [50, 50, 16],
  [37, 33, 70],
  [73, 129, 257],
  [150, 65, 31],
  [3, 2050, 5],
];
const SCALARS: readonly [number, number][] = [
  [1, 0],
  [-0.75, 1],
  [0.5, -1.25],
];

const cases: Case[] = [];
for (const [m, n, k] of SHAPES) {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const [alpha, beta] of SCALARS) cases.push({ m, n, k, ta, tb, alpha, beta, pad: (m + n + k) % 3 === 0 ? 0 : 3 });
  }
}
const label = (c: Case): string => `${c.m}x${c.n}x${c.k}${c.ta ? ' a^T' : ''}${c.tb ? ' b^T' : ''} alpha ${c.alpha} beta ${c.beta}${c.pad ? ` ld+${c.pad}` : ''}`;

describe.skipIf(!status.ok)('the built-in GEMM and the BLAS GEMM', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s: the built-in GEMM matches float64 (and the BLAS library where there is one)', (_name, c) => {
    const seed = c.m * 1_000_003 + c.n * 1009 + c.k + (c.ta ? 7 : 0) + (c.tb ? 11 : 0);
    const builtin = product(1, c, seed);
    expect(worstError(builtin.got, builtin.want, builtin.scale)).toBeLessThan(4e-7 * Math.sqrt(c.k + 1) + 1e-7);
    if (hasLibrary) {
      const library = product(2, c, seed);
      expect(worstError(library.got, library.want, library.scale)).toBeLessThan(4e-7 * Math.sqrt(c.k + 1) + 1e-7);
      let apart = 0;
      for (let i = 0; i < builtin.got.length; i++) apart = Math.max(apart, Math.abs(builtin.got[i]! - library.got[i]!) / (builtin.scale[i]! || 1));
      expect(apart).toBeLessThan(8e-7 * Math.sqrt(c.k + 1) + 1e-7);
    }
  });

  it('k = 0 and alpha = 0 give beta c (0 where beta is 0, whatever c held)', () => {
    for (const which of hasLibrary ? ([1, 2] as const) : ([1] as const)) {
      for (const [k, alpha] of [[0, 1], [4, 0]] as const) {
        for (const beta of [0, 1, 0.5]) {
          const { got, want } = product(which, { m: 3, n: 5, k, ta: false, tb: false, alpha, beta, pad: 1 }, 99);
          expect(Array.from(got, (v) => v + 0)).toEqual(Array.from(want, (v) => Math.fround(v) + 0)); // -0 and 0 alike
        }
      }
    }
  });

  it('rejects operands that do not fit the heap, or a leading dimension shorter than a row', () => {
    const heap = new ArrayBuffer(64);
    expect(() => addon.sgemm(heap, 1, false, false, 8, 8, 8, 1, 0, 8, 0, 8, 0, 0, 8)).toThrow(/range outside the heap/);
    expect(() => addon.sgemm(heap, 1, false, false, 2, 2, 2, 1, 0, 1, 0, 2, 0, 0, 2)).toThrow(/leading dimension/);
    expect(() => addon.sgemm(heap, 3 as 1, false, false, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1)).toThrow(/which/);
  });

  it.skipIf(hasLibrary)('without a BLAS library, the library path says so instead of computing', () => {
    expect(() => addon.sgemm(new ArrayBuffer(64), 2, false, false, 1, 1, 1, 1, 0, 1, 4, 1, 0, 8, 1)).toThrow(/no BLAS library is loaded/);
  });
});

/** f's outputs on the native backend with the products on the BLAS library, then on the built-in GEMM. */
async function onBothGemms(f: () => tf.Tensor | tf.Tensor[]): Promise<{ blas: Float32Array[]; builtin: Float32Array[] }> {
  const run = async (): Promise<Float32Array[]> => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(list);
    return values;
  };
  await tf.setBackend(NATIVE_TFJS_NAME);
  addon.useBuiltinGemm(false);
  const blas = await run();
  try {
    expect(addon.useBuiltinGemm(true)).toBe(true);
    return { blas, builtin: await run() };
  } finally {
    addon.useBuiltinGemm(false);
  }
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / (scale || 1);
}

describe.skipIf(!status.ok || !hasLibrary)('the models kernels on the built-in GEMM', () => {
  const randn = (shape: number[], scale = 1): tf.Tensor => tf.tensor(rng.fill(shape.reduce((a, b) => a * b, 1), (r) => scale * r.normal()), shape);
  beforeAll(async () => {
    await wasmBackend().init();
    await nativeBackend().init();
    await registerGradients();
  });
  afterAll(() => {
    addon.useBuiltinGemm(false);
  });

  it('matMul (transposes, batches, broadcast), fused matMul with bias and relu: as on the BLAS library', async () => {
    const a = randn([6, 120, 64]);
    const b = randn([64, 70]);
    const c = randn([300, 64]);
    const d = randn([130, 64]);
    const bias = randn([130]);
    const q = randn([6, 50, 16]);
    const { blas, builtin } = await onBothGemms(() => [
      tf.matMul(a, b),
      tf.matMul(c, d, false, true),
      tf.matMul(c, c, true, false),
      tf.matMul(q, q, false, true),
      tf.fused.matMul({ a: c, b: d, transposeB: true, bias, activation: 'relu' }),
    ]);
    builtin.forEach((got, i) => expect(relDiff(got, blas[i]!), `product ${i}`).toBeLessThan(2e-6));
    tf.dispose([a, b, c, d, bias, q]);
  });

  it('a ViT block (LayerNorm, attention, linear layers) and the loss, forward and gradients: as on the BLAS library', async () => {
    const [B, T, dm, heads, n] = [4, 17, 32, 4, 128];
    const x = randn([B, T, dm]);
    const scale = tf.tidy(() => tf.add(randn([dm], 0.1), 1));
    const shift = randn([dm], 0.1);
    const qkvW = randn([dm, 3 * dm], 0.2);
    const qkvB = randn([3 * dm], 0.1);
    const outW = randn([dm, dm], 0.2);
    const outB = randn([dm], 0.1);
    const keyW = randn([dm, n], 0.15);
    const keyB = randn([n], 0.1);
    const labels = tf.tensor1d(Array.from({ length: B * T }, (_, i) => (i * 3) % n), 'int32');
    const { blas, builtin } = await onBothGemms(() => {
      const loss = (xs: tf.Tensor, w: tf.Tensor, kw: tf.Tensor): tf.Tensor => {
        const h = tf.add(xs, selfAttention(layerNorm(xs, scale, shift, 1e-6), { qkvWeight: w, qkvBias: qkvB, outWeight: outW, outBias: outB }, heads, true));
        return softmaxCrossEntropy(tf.reshape(linear(layerNorm(h, scale, shift, 1e-6), kw, keyB), [B * T, n]), labels, 0.1);
      };
      const { value, grads } = tf.valueAndGrads(loss)([x, qkvW, keyW]);
      return [value, ...grads];
    });
    ['loss', 'dx', 'dqkv', 'dkey'].forEach((name, i) => expect(relDiff(builtin[i]!, blas[i]!), name).toBeLessThan(1e-5));
    tf.dispose([x, scale, shift, qkvW, qkvB, outW, outB, keyW, keyB, labels]);
  });

  it('the backend reports what the products run on, truthfully, after a switch too', async () => {
    const withLibrary = await nativeBackend().init();
    expect(withLibrary.detail).toContain(`C++ kernels on ${info!.library!.name} (${info!.library!.path})`);
    expect(withLibrary.facts).toMatchObject({ gemm: 'blas', blas: info!.library!.config, blasLibrary: info!.library!.path });
    addon.useBuiltinGemm(true);
    try {
      const switched = await nativeBackend().init();
      expect(switched.detail).toMatch(/^C\+\+ kernels on the built-in GEMM \(switched from the BLAS library\), \d+ thread\(s\), over tfjs-backend-wasm$/);
      expect(switched.facts).toMatchObject({ gemm: 'builtin' });
      expect(String(switched.facts!['blas'])).toMatch(/^built-in GEMM \(cache-blocked SGEMM, [46]x(8|16|32) micro-kernel, (FMA|no FMA)\)$/);
    } finally {
      addon.useBuiltinGemm(false);
    }
  });
});

const DEFAULT_ORDER_LINUX = [
  'libopenblas.so.0',
  ...(process.arch === 'x64' || process.arch === 'arm64'
    ? ['openblas-pthread', 'openblas-openmp', 'openblas-serial'].map((v) => `/usr/lib/${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-linux-gnu/${v}/libopenblas.so.0`)
    : []),
  'libopenblasp.so.0',
  'libopenblaso.so.0',
  'libblas.so.3',
];

/** The addon's blasInfo() in a fresh process with this environment (FLATSPARSE_BLAS unset unless given). */
function infoIn(env: Record<string, string>, code = 'process.stdout.write(m.exports.blasInfo())'): BlasInfo & { out?: string } {
  const base = { ...process.env };
  delete base['FLATSPARSE_BLAS'];
  const r = spawnSync(process.execPath, ['-e', `const m = { exports: {} }; process.dlopen(m, process.argv[1]); ${code}`, addonPath()], { encoding: 'utf8', env: { ...base, OPENBLAS_NUM_THREADS: '1', ...env } });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const [json, out] = r.stdout.split('\n---\n');
  return { ...(JSON.parse(json!) as BlasInfo), ...(out === undefined ? {} : { out }) };
}

/** A tiny CBLAS library: cblas_sgemm writes 42 everywhere (so a test can tell it ran); with openblas, it also says it is OpenBLAS. */
function fakeBlas(dir: string, file: string, openblas: boolean): string | undefined {
  const cc = ['cc', 'gcc', 'clang', 'c++'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  if (cc === undefined) return undefined;
  const source = join(dir, `${file}.c`);
  writeFileSync(
    source,
    `void cblas_sgemm(int o, int ta, int tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[i * ldc + j] = 42.0f;
}
${openblas ? 'static char config[] = "OpenBLAS 9.9.9-fake TEST"; char* openblas_get_config(void) { return config; } void openblas_set_num_threads(int n) { (void)n; }' : ''}
`,
  );
  const out = join(dir, file);
  const r = spawnSync(cc, ['-x', 'c', '-shared', '-fPIC', '-o', out, source], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}

describe.skipIf(!status.ok)('where the products come from: the BLAS search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-blas-'));

  it('searches the documented order and records every candidate that failed before the one used', () => {
    const found = infoIn({});
    if (process.platform === 'linux') expect(found.candidates).toEqual(DEFAULT_ORDER_LINUX);
    if (process.platform === 'darwin') expect(found.candidates).toEqual(['Accelerate']);
    const used = found.resolved === 'blas' ? found.candidates.findIndex((c) => !found.tried.some((t) => t.candidate === c)) : found.candidates.length;
    expect(found.tried.map((t) => t.candidate)).toEqual(found.candidates.slice(0, used));
    expect(found.active).toBe(found.resolved);
    if (found.resolved === 'blas') expect(found.library!.path).not.toBe('');
    else expect(found.library).toBeNull();
  });

  it('FLATSPARSE_BLAS=builtin: the built-in GEMM, nothing searched, and the report says why', () => {
    const found = infoIn({ FLATSPARSE_BLAS: 'builtin' });
    expect(found).toMatchObject({ resolved: 'builtin', active: 'builtin', library: null, requested: 'builtin', candidates: [], tried: [] });
    expect(describeGemm(found)).toBe('the built-in GEMM (FLATSPARSE_BLAS=builtin)');
  });

  it('FLATSPARSE_BLAS naming a missing library: the built-in GEMM (no other library is tried), with the loader error', () => {
    const found = infoIn({ FLATSPARSE_BLAS: join(dir, 'missing.so') });
    expect(found).toMatchObject({ resolved: 'builtin', library: null, candidates: [join(dir, 'missing.so')] });
    expect(found.tried).toHaveLength(1);
    expect(found.tried[0]!.error).toMatch(/missing\.so/);
    expect(describeGemm(found)).toMatch(/^the built-in GEMM \(FLATSPARSE_BLAS=.*missing\.so: .*missing\.so/);
  });

  const fake = fakeBlas(dir, 'libfakeblas.so', false);
  it.skipIf(fake === undefined || process.platform !== 'linux')('FLATSPARSE_BLAS naming any CBLAS library: used, named by its file, and the products really run on it', () => {
    const code = `process.stdout.write(m.exports.blasInfo()); const h = new ArrayBuffer(64); m.exports.sgemm(h, 0, false, false, 2, 2, 2, 1, 0, 2, 16, 2, 0, 32, 2); process.stdout.write('\\n---\\n' + Array.from(new Float32Array(h, 32, 4)).join(','));`;
    const found = infoIn({ FLATSPARSE_BLAS: fake! }, code);
    expect(found).toMatchObject({ resolved: 'blas', active: 'blas', requested: fake, tried: [] });
    expect(found.library).toMatchObject({ path: fake, name: 'BLAS' });
    expect(found.out).toBe('42,42,42,42');
  });

  it.skipIf(fake === undefined || process.platform !== 'linux')('a generic libblas.so.3 is taken only when it is OpenBLAS, BLIS or MKL (the reference BLAS is slower than the built-in GEMM)', () => {
    const code = `process.stdout.write(JSON.stringify({ strict: m.exports.loadBlas(process.env.FAKE, true), info: JSON.parse(m.exports.blasInfo()), loose: m.exports.loadBlas(process.env.FAKE, false), after: JSON.parse(m.exports.blasInfo()) }))`;
    const r = spawnSync(process.execPath, ['-e', `const m = { exports: {} }; process.dlopen(m, process.argv[1]); ${code}`, addonPath()], { encoding: 'utf8', env: { ...process.env, FLATSPARSE_BLAS: 'builtin', FAKE: fake! } });
    const out = JSON.parse(r.stdout) as { strict: string; info: BlasInfo; loose: string; after: BlasInfo };
    expect(out.strict).toMatch(/not OpenBLAS, BLIS or MKL/);
    expect(out.info.active).toBe('builtin');
    expect(out.loose).toBe('');
    expect(out.after).toMatchObject({ active: 'blas', library: { path: fake, name: 'BLAS' } });
  });

  const fakeOpenblasDir = mkdtempSync(join(tmpdir(), 'fs-blas-openblas-'));
  const fakeOpenblas = fakeBlas(fakeOpenblasDir, 'libopenblas.so.0', true);
  it.skipIf(fakeOpenblas === undefined || process.platform !== 'linux')('libopenblas.so.0 is the first candidate: found on the loader path before any other, named and set to one thread', () => {
    const found = infoIn({ LD_LIBRARY_PATH: fakeOpenblasDir });
    expect(found).toMatchObject({ resolved: 'blas', tried: [], library: { name: 'OpenBLAS 9.9.9-fake', config: 'OpenBLAS 9.9.9-fake TEST', path: fakeOpenblas } });
    expect(describeGemm(found)).toBe(`OpenBLAS 9.9.9-fake (${fakeOpenblas})`);
  });

  it("the backend's detail names the library file, or the built-in GEMM with how to get OpenBLAS", () => {
    const none: BlasInfo = { resolved: 'builtin', active: 'builtin', library: null, requested: null, candidates: DEFAULT_ORDER_LINUX, tried: [], builtin: 'x' };
    expect(describeGemm(none)).toBe('the built-in GEMM (no BLAS library found)');
    const openblas: BlasInfo = { ...none, resolved: 'blas', active: 'blas', library: { path: '/usr/lib/x.so', name: 'OpenBLAS 0.3.21', config: 'OpenBLAS 0.3.21 Zen' } };
    expect(describeGemm(openblas)).toBe('OpenBLAS 0.3.21 (/usr/lib/x.so)');
    expect(describeGemm({ ...openblas, active: 'builtin' })).toBe('the built-in GEMM (switched from the BLAS library)');
    // flatsparse backends / doctor: the hint; a run's backend line: none (the notice is said once per process instead).
    if (process.platform === 'linux') {
      expect(nativeDetail(none, 2, true)).toBe('C++ kernels on the built-in GEMM (no BLAS library found); for faster products: apt-get install -y libopenblas0-pthread (Debian/Ubuntu; no rebuild needed), 2 thread(s), over tfjs-backend-wasm');
      expect(builtinGemmNotice(none)).toBe('flatsparse native backend: products run on its built-in GEMM (no BLAS library found); for faster products: apt-get install -y libopenblas0-pthread (Debian/Ubuntu; no rebuild needed)');
    }
    expect(nativeDetail(none, 2, false)).toBe('C++ kernels on the built-in GEMM (no BLAS library found), 2 thread(s), over tfjs-backend-wasm');
    expect(nativeDetail(openblas, 4, true)).toBe('C++ kernels on OpenBLAS 0.3.21 (/usr/lib/x.so), 4 thread(s), over tfjs-backend-wasm');
    for (const quiet of [openblas, { ...openblas, active: 'builtin' as const }, { ...none, requested: 'builtin' }]) expect(builtinGemmNotice(quiet)).toBeUndefined();
  });

  it('no addon source includes a BLAS header: the build needs none', () => {
    const nativeDir = fileURLToPath(new URL('../../packages/backend-native/native/', import.meta.url));
    for (const file of readdirSync(nativeDir)) {
      expect(readFileSync(join(nativeDir, file), 'utf8'), file).not.toMatch(/#include\s*[<"](cblas|openblas|Accelerate)/);
    }
  });
});
