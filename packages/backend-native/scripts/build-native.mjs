#!/usr/bin/env node
/**
 * Builds the native kernels (native/*.cc) into build/flatsparse_native.node with the system C++
 * compiler against Node's own headers and OpenBLAS, at install time. Nothing is downloaded.
 *
 * It never fails the install: when the compiler, the headers or OpenBLAS are missing it writes the
 * reason and the fix to build/status.json (read by `flatsparse backends` and `doctor`), prints one
 * line, and exits 0, so flatsparse runs on the wasm backend. FLATSPARSE_NATIVE_REQUIRED=1 makes a
 * failed build exit 1 (for CI jobs that must test the fast path).
 *
 * Environment: CXX (compiler, default c++ or g++), FLATSPARSE_NATIVE_MARCH (default native: the
 * build is for this machine's processor; set x86-64-v3 or similar for a portable build),
 * FLATSPARSE_NODE_INCLUDE (a directory holding node_api.h), FLATSPARSE_NATIVE_SKIP=1 (do not build),
 * FLATSPARSE_NATIVE_BUILD_DIR (where the addon and status.json go; default build/ of this package).
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
const APT = 'apt-get install -y g++ libopenblas-dev';

function writeStatus(status) {
  mkdirSync(buildDir, { recursive: true });
  const tmp = `${statusFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  renameSync(tmp, statusFile);
}

function fail(reason, fix, extra = {}) {
  writeStatus({ ok: false, reason, fix, ...extra });
  console.log(`flatsparse native backend: not built: ${reason} Fix: ${fix} Until then flatsparse runs on the wasm backend.`);
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

function openblasFlags() {
  if (which('pkg-config')) {
    const r = spawnSync('pkg-config', ['--cflags', '--libs', 'openblas'], { encoding: 'utf8' });
    if (r.status === 0) {
      const parts = r.stdout.trim().split(/\s+/).filter(Boolean);
      return { cflags: parts.filter((p) => p.startsWith('-I')), libs: parts.filter((p) => !p.startsWith('-I')), via: 'pkg-config openblas' };
    }
  }
  const header = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/aarch64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h'].find(existsSync);
  if (header === undefined) return undefined;
  return { cflags: [`-I${path.dirname(header)}`], libs: ['-lopenblas'], via: header };
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
  if (process.env.FLATSPARSE_NATIVE_SKIP === '1') fail('the build was skipped (FLATSPARSE_NATIVE_SKIP=1).', 'unset FLATSPARSE_NATIVE_SKIP and run `pnpm --filter @flatsparse/backend-native run build:native`.');
  const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.cc')).map((f) => path.join(sourceDir, f));
  const headers = readdirSync(sourceDir).filter((f) => f.endsWith('.h')).map((f) => path.join(sourceDir, f));
  if (upToDate([...sources, ...headers])) {
    console.log(`flatsparse native backend: up to date (${path.relative(process.cwd(), output) || output})`);
    return;
  }
  const cxx = compiler();
  if (cxx === undefined) fail('no C++ compiler was found (tried $CXX, c++, g++, clang++).', APT);
  const include = nodeInclude();
  if (include === undefined) fail(`Node's headers (node_api.h) were not found for Node ${process.version}.`, 'install the headers of this Node (Debian: apt-get install -y libnode-dev, or the include/ folder of the Node tarball) or set FLATSPARSE_NODE_INCLUDE to the folder holding node_api.h.');
  const blas = openblasFlags();
  if (blas === undefined) fail('OpenBLAS headers (cblas.h) were not found.', APT);
  const march = process.env.FLATSPARSE_NATIVE_MARCH ?? 'native';
  const args = ['-O3', `-march=${march}`, '-fno-math-errno', '-fno-trapping-math', '-std=c++17', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=flatsparse_native', `-I${include}`, ...blas.cflags, ...sources, '-o', `${output}.tmp`, ...blas.libs];
  mkdirSync(buildDir, { recursive: true });
  const started = Date.now();
  const result = spawnSync(cxx, args, { encoding: 'utf8' });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) {
    rmSync(`${output}.tmp`, { force: true });
    const missingBlas = /cblas\.h|-lopenblas|openblas/i.test(log);
    fail(missingBlas ? 'the compiler could not find OpenBLAS.' : `${cxx} failed (exit ${result.status ?? result.signal}).`, missingBlas ? APT : 'see compilerOutput in packages/backend-native/build/status.json; report it with your compiler version.', {
      command: [cxx, ...args].join(' '),
      compilerOutput: log.split('\n').slice(-30).join('\n'),
    });
  }
  renameSync(`${output}.tmp`, output);
  let version = '';
  try {
    version = execFileSync(cxx, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    version = cxx;
  }
  writeStatus({ ok: true, compiler: version, march, blas: blas.via, seconds: (Date.now() - started) / 1000, command: [cxx, ...args].join(' ') });
  console.log(`flatsparse native backend: built with ${version} against OpenBLAS (${blas.via}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main();
