#!/usr/bin/env node
/**
 * Builds the native kernels (native/*.cc) into build/flatsparse_native.node with the system C++
 * compiler against Node's own headers, at install time. Nothing is downloaded, and no BLAS is needed
 * to build: the addon finds a BLAS library when it loads (OpenBLAS on Linux, through dlopen; on macOS
 * it links Accelerate) and otherwise runs its products on its built-in GEMM (native/blas.cc).
 *
 * It never fails the install: when the compiler or Node's headers are missing, or the compiler fails,
 * it writes the reason and the fix to build/status.json (read by `flatsparse backends` and `doctor`),
 * prints one line, and exits 0, so flatsparse runs on the wasm backend. FLATSPARSE_NATIVE_REQUIRED=1
 * makes a failed build exit 1 (for CI jobs that must test the fast path). The new addon is built
 * under a temporary name, loaded once in a child process, and only then renamed over the old one,
 * so a working addon is in place at every moment (a running process keeps the file it loaded).
 *
 * Environment: CXX (compiler, default c++ or g++), FLATSPARSE_NATIVE_MARCH (default native: the
 * build is for this machine's processor; set x86-64-v3 or similar for a portable build),
 * FLATSPARSE_NODE_INCLUDE (a directory holding node_api.h), FLATSPARSE_NATIVE_SKIP=1 (do not build),
 * FLATSPARSE_NATIVE_BUILD_DIR (where the addon and status.json go; default build/ of this package),
 * FLATSPARSE_BLAS (which BLAS the check after the build loads; see docs/backends.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(root, 'native');
const buildDir = process.env.FLATSPARSE_NATIVE_BUILD_DIR ? path.resolve(process.env.FLATSPARSE_NATIVE_BUILD_DIR) : path.join(root, 'build');
const output = path.join(buildDir, 'flatsparse_native.node');
const statusFile = path.join(buildDir, 'status.json');
const BUILD = 'pnpm --filter @flatsparse/backend-native run build:native';
const INSTALL_COMPILER = process.platform === 'darwin' ? 'xcode-select --install' : 'apt-get install -y g++';
const INSTALL_BLAS = 'apt-get install -y libopenblas0-pthread';

function writeStatus(status) {
  mkdirSync(buildDir, { recursive: true });
  const tmp = `${statusFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  renameSync(tmp, statusFile);
}

function fail(reason, fix, extra = {}) {
  writeStatus({ ok: false, reason, fix, ...extra });
  console.log(`flatsparse native backend: not built: ${reason} Fix: ${fix}${/[.!]$/.test(fix) ? '' : '.'} Until then flatsparse runs on the wasm backend.`);
  process.exit(process.env.FLATSPARSE_NATIVE_REQUIRED === '1' ? 1 : 0);
}

function which(command) {
  const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function compiler() {
  const candidates = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  for (const c of candidates) if (which(c)) return c;
  return undefined;
}

function nodeInclude() {
  const version = process.version.slice(1);
  const candidates = [
    process.env.FLATSPARSE_NODE_INCLUDE,
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    process.config?.variables?.node_prefix && path.join(process.config.variables.node_prefix, 'include', 'node'),
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(homedir(), '.cache', 'node-gyp', version, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
}

/** -march for this compiler: FLATSPARSE_NATIVE_MARCH as given, else native where the compiler accepts it (else -mcpu=native, else none). */
function archFlags(cxx) {
  const wanted = process.env.FLATSPARSE_NATIVE_MARCH;
  if (wanted !== undefined && wanted !== '') return { flags: [`-march=${wanted}`], march: wanted };
  for (const flag of ['-march=native', '-mcpu=native']) {
    const probe = spawnSync(cxx, [flag, '-x', 'c++', '-c', '-o', process.platform === 'win32' ? 'NUL' : '/dev/null', '-'], { input: 'int main() { return 0; }\n', encoding: 'utf8' });
    if (probe.status === 0) return { flags: [flag], march: 'native' };
  }
  return { flags: [], march: 'compiler default' };
}

/** Link settings: Node's symbols come from the running node; Accelerate on macOS; dlopen on Linux. */
function platformFlags() {
  if (process.platform === 'darwin') return { cflags: ['-DFSN_ACCELERATE'], libs: ['-undefined', 'dynamic_lookup', '-framework', 'Accelerate'] };
  return { cflags: [], libs: ['-ldl'] };
}

/**
 * Loads the addon at `file` in a child process (so this process never holds it) and returns what its
 * products run on (blasInfo), or the load error.
 */
function probe(file) {
  const code = `const m = { exports: {} }; process.dlopen(m, process.argv[1]); process.stdout.write(m.exports.blasInfo());`;
  const r = spawnSync(process.execPath, ['-e', code, file], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1', VECLIB_MAXIMUM_THREADS: process.env.VECLIB_MAXIMUM_THREADS ?? '1' } });
  if (r.status !== 0) return { error: `${r.stderr ?? ''}`.trim().split('\n').slice(0, 3).join(' ') || `exit ${r.status ?? r.signal}` };
  try {
    return { info: JSON.parse(r.stdout) };
  } catch {
    return { error: `unexpected output: ${r.stdout.slice(0, 200)}` };
  }
}

/** Removes the temporary addons of builds that were interrupted (their process is gone). */
function removeStaleTemporaries() {
  for (const name of readdirSync(buildDir)) {
    const match = /^flatsparse_native\.(\d+)\.tmp\.node$/.exec(name);
    if (match === null || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch (err) {
      if (err?.code === 'ESRCH') rmSync(path.join(buildDir, name), { force: true });
    }
  }
}

/** One clause on what the products run on, with the fix where it is the built-in GEMM. */
function describeBlas(info) {
  if (info.active === 'blas' && info.library) return `products on ${info.library.name} (${info.library.path})`;
  if (info.requested) return `products on the built-in GEMM (FLATSPARSE_BLAS=${info.requested}${info.tried[0] ? `: ${info.tried[0].error}` : ''})`;
  return `products on its built-in GEMM (no BLAS library found); for faster products: ${INSTALL_BLAS} (no rebuild needed)`;
}

function upToDate(sources) {
  if (!existsSync(output) || !existsSync(statusFile)) return false;
  try {
    const status = JSON.parse(readFileSync(statusFile, 'utf8'));
    if (!status.ok || status.node !== process.version) return false;
  } catch {
    return false;
  }
  const built = statSync(output).mtimeMs;
  return [...sources, fileURLToPath(import.meta.url)].every((f) => statSync(f).mtimeMs <= built);
}

function main() {
  if (process.env.FLATSPARSE_NATIVE_SKIP === '1') fail('the build was skipped (FLATSPARSE_NATIVE_SKIP=1).', `unset FLATSPARSE_NATIVE_SKIP and run \`${BUILD}\`.`);
  const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.cc')).map((f) => path.join(sourceDir, f));
  const headers = readdirSync(sourceDir).filter((f) => f.endsWith('.h')).map((f) => path.join(sourceDir, f));
  if (upToDate([...sources, ...headers])) {
    const loaded = probe(output);
    if (loaded.error === undefined) {
      console.log(`flatsparse native backend: up to date (${path.relative(process.cwd(), output) || output}); ${describeBlas(loaded.info)}`);
      return;
    }
  }
  const cxx = compiler();
  if (cxx === undefined) fail('no C++ compiler was found (tried $CXX, c++, g++, clang++).', `${INSTALL_COMPILER}, then ${BUILD}`);
  const include = nodeInclude();
  if (include === undefined) fail(`Node's headers (node_api.h) were not found for Node ${process.version}.`, `install the headers of this Node (Debian: apt-get install -y libnode-dev, or the include/ folder of the Node tarball) or set FLATSPARSE_NODE_INCLUDE to the folder holding node_api.h, then ${BUILD}.`);
  const arch = archFlags(cxx);
  const platform = platformFlags();
  mkdirSync(buildDir, { recursive: true });
  removeStaleTemporaries();
  const tmp = path.join(buildDir, `flatsparse_native.${process.pid}.tmp.node`);
  const args = ['-O3', ...arch.flags, '-fno-math-errno', '-fno-trapping-math', '-std=c++17', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=flatsparse_native', `-I${include}`, ...platform.cflags, ...sources, '-o', tmp, ...platform.libs];
  const started = Date.now();
  const result = spawnSync(cxx, args, { encoding: 'utf8' });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) {
    rmSync(tmp, { force: true });
    fail(`${cxx} failed (exit ${result.status ?? result.signal}).`, 'see compilerOutput in packages/backend-native/build/status.json; report it with your compiler version.', {
      command: [cxx, ...args].join(' '),
      compilerOutput: log.split('\n').slice(-30).join('\n'),
    });
  }
  const seconds = (Date.now() - started) / 1000;
  const loaded = probe(tmp);
  if (loaded.error !== undefined) {
    rmSync(tmp, { force: true });
    fail(`the addon was built but does not load: ${loaded.error}`, `see the message; report it with your compiler version (${BUILD} rebuilds it).`, { command: [cxx, ...args].join(' ') });
  }
  renameSync(tmp, output);
  let version = '';
  try {
    version = execFileSync(cxx, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    version = cxx;
  }
  const info = loaded.info;
  writeStatus({ ok: true, compiler: version, march: arch.march, blas: info.active === 'blas' && info.library ? `${info.library.name} (${info.library.path})` : 'built-in GEMM', seconds, command: [cxx, ...args].join(' ') });
  console.log(`flatsparse native backend: built with ${version} in ${seconds.toFixed(1)} s; ${describeBlas(info)}`);
}

main();
