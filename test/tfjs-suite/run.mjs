#!/usr/bin/env node
// tfjs-core's own op and gradient tests (shipped in @tensorflow/tfjs-core's npm package) on one flatsparse
// backend, under jasmine, as tfjs's backends run them: tfjs's unmodified jasmine_util sets the test
// environment (setTestEnvs) and the spec filter (setupTestFilters), and resets the engine before and after
// every suite. The backend is registered through its flatsparse factory first.
//
//   node test/tfjs-suite/run.mjs --backend native|wasm|webgpu|cpu [--jobs n] [--files a,b] [--shard k/n]
//                                [--grep text] [--json out.json] [--timeout ms] [--verbose]
//
// Every spec runs, the excluded ones too: filters/<backend>.json lists the specs expected to fail, each
// with its reason; a listed spec that passes is reported as "now passes" and fails the run, as does any
// other failing spec, and (on a full run) a listed name that no spec has. Only the specs under "skip"
// (they would take the process or the backend down) are not run. Exit codes: 0 as expected, 1 unexpected
// results, 2 the runner cannot start (coded error), 3 the backend is not available here (reason printed).
// See README.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mergeReports, REASONS, resultsDir } from './report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const HOOKS = Symbol.for('flatsparse.tfjsSuite.hooks');
const REGISTER_HOOKS = pathToFileURL(join(HERE, 'register-hooks.mjs')).href;

/** How each backend is registered and the test environment tfjs's setup_test would give it. */
const BACKENDS = {
  native: {
    testEnv: { name: 'test-flatsparse-native', backendName: 'flatsparse-native', isDataSync: true },
    async backend() {
      const { nativeBackend } = await import('@flatsparse/backend-native');
      return nativeBackend();
    },
  },
  wasm: {
    // As tfjs-backend-wasm's setup_test.
    testEnv: { name: 'test-wasm', backendName: 'wasm', isDataSync: true },
    async backend() {
      const { wasmBackend } = await import('@flatsparse/backend-wasm');
      return wasmBackend({ allowCpuFallback: false });
    },
  },
  webgpu: {
    // As tfjs-backend-webgpu's backend_webgpu_test_registry, but not data-sync: Node has no synchronous
    // read-back on WebGPU (docs/webgpu.md), so tfjs leaves out the specs that need one.
    testEnv: { name: 'webgpu', backendName: 'webgpu', flags: { WEBGPU_CPU_FORWARD: false }, isDataSync: false },
    timeoutMs: 60_000,
    async backend() {
      const { webgpuBackend } = await import('@flatsparse/backend-webgpu');
      return webgpuBackend({ allowSoftware: true });
    },
  },
  // tfjs's reference backend, as tfjs-backend-cpu's setup_test runs it (every spec, no filter). Not a
  // flatsparse backend: it tells a spec that fails under this harness from a backend's own failure.
  cpu: {
    testEnv: { name: 'cpu', backendName: 'cpu', isDataSync: true },
    async backend() {
      return {
        isAvailable: async () => ({ available: true }),
        async init() {
          const tf = await import('@tensorflow/tfjs-core');
          await import('@tensorflow/tfjs-backend-cpu');
          if (!(await tf.setBackend('cpu'))) throw new SuiteError('E_TFJS_SUITE_BACKEND', "tf.setBackend('cpu') returned false");
          return { tfjsName: 'cpu', detail: 'tfjs-backend-cpu (the reference)' };
        },
      };
    },
  },
};

export class SuiteError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

function parseArgs(argv) {
  const args = { backend: undefined, jobs: undefined, files: [], shard: undefined, grep: undefined, json: undefined, timeout: undefined, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new SuiteError('E_TFJS_SUITE_USAGE', `${a} needs a value`);
      return v;
    };
    const positive = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new SuiteError('E_TFJS_SUITE_USAGE', `${a} takes a positive integer, not '${v}'`);
      return n;
    };
    if (a === '--backend') args.backend = value();
    else if (a === '--jobs') args.jobs = positive(value());
    else if (a === '--files') args.files.push(...value().split(',').filter(Boolean));
    else if (a === '--shard') {
      const m = /^(\d+)\/(\d+)$/.exec(value());
      if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new SuiteError('E_TFJS_SUITE_USAGE', '--shard takes k/n with 1 <= k <= n');
      args.shard = { index: Number(m[1]), count: Number(m[2]) };
    } else if (a === '--grep') args.grep = value();
    else if (a === '--json') args.json = resolvePath(value());
    else if (a === '--timeout') args.timeout = positive(value());
    else if (a === '--verbose') args.verbose = true;
    else throw new SuiteError('E_TFJS_SUITE_USAGE', `unknown argument '${a}'`);
  }
  if (args.backend === undefined || !Object.hasOwn(BACKENDS, args.backend)) {
    throw new SuiteError('E_TFJS_SUITE_USAGE', `--backend must be one of ${Object.keys(BACKENDS).join(', ')}`);
  }
  return args;
}

/** tfjs-core's dist folder, found from the test package as a user's code would find it. */
export function tfjsCoreDist() {
  let pkg;
  try {
    pkg = createRequire(join(HERE, 'run.mjs')).resolve('@tensorflow/tfjs-core/package.json');
  } catch {
    throw new SuiteError('E_TFJS_SUITE_FILES_MISSING', '@tensorflow/tfjs-core is not installed for test/ (run pnpm install)');
  }
  return join(dirname(pkg), 'dist');
}

/** The spec files: dist/ops/**\/*_test.js, dist/gradients_test.js and dist/tensor_test.js, relative to dist, sorted. */
export function specFiles(dist) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('_test.js')) out.push(relative(dist, p));
    }
  };
  const ops = join(dist, 'ops');
  if (!existsSync(ops)) throw new SuiteError('E_TFJS_SUITE_FILES_MISSING', `${ops} is missing: this @tensorflow/tfjs-core ships no op tests`);
  walk(ops);
  for (const f of ['gradients_test.js', 'tensor_test.js', 'jasmine_util.js']) {
    if (!existsSync(join(dist, f))) throw new SuiteError('E_TFJS_SUITE_FILES_MISSING', `${join(dist, f)} is missing: this @tensorflow/tfjs-core ships no op tests`);
  }
  out.push('gradients_test.js', 'tensor_test.js');
  return out.sort();
}

/** The backend's filter list, checked: every exclusion is "<reason>: <detail>" with a known reason. */
export function readFilters(backend) {
  const path = join(HERE, 'filters', `${backend}.json`);
  if (!existsSync(path)) throw new SuiteError('E_TFJS_SUITE_FILTER_MISSING', `${path} is missing: every backend needs its filter list (it may list nothing)`);
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SuiteError('E_TFJS_SUITE_FILTER_INVALID', `${path} is not JSON: ${err.message}`);
  }
  const lists = { expectedFailures: parsed.expectedFailures ?? {}, skip: parsed.skip ?? {} };
  for (const [list, entries] of Object.entries(lists)) {
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new SuiteError('E_TFJS_SUITE_FILTER_INVALID', `${path}: "${list}" must map spec names to reasons`);
    for (const [name, reason] of Object.entries(entries)) {
      const category = typeof reason === 'string' ? reason.split(':')[0] : undefined;
      if (!Object.hasOwn(REASONS, category) || !/^[a-z-]+: \S/.test(reason)) {
        throw new SuiteError('E_TFJS_SUITE_FILTER_INVALID', `${path}: ${list}["${name}"] must be "<reason>: <detail>" with a reason among ${Object.keys(REASONS).join(', ')} (got ${JSON.stringify(reason)})`);
      }
    }
  }
  const both = Object.keys(lists.skip).filter((n) => Object.hasOwn(lists.expectedFailures, n));
  if (both.length > 0) throw new SuiteError('E_TFJS_SUITE_FILTER_INVALID', `${path}: listed both as skipped and as expected failures: ${both.join('; ')}`);
  if (parsed.recordedOn !== undefined && typeof parsed.recordedOn !== 'string') throw new SuiteError('E_TFJS_SUITE_FILTER_INVALID', `${path}: "recordedOn" must be a string`);
  return { path, recordedOn: parsed.recordedOn, ...lists };
}

function pickFiles(all, args) {
  let files = all;
  if (args.files.length > 0) {
    files = all.filter((f) => args.files.some((want) => f === want || f.includes(want)));
    if (files.length === 0) throw new SuiteError('E_TFJS_SUITE_USAGE', `--files ${args.files.join(',')} matches no spec file`);
  }
  if (args.shard !== undefined) files = files.filter((_, i) => i % args.shard.count === args.shard.index - 1);
  return files;
}

/**
 * tfjs's dist calls `require` the way its bundles provide it (jasmine_util loads jasmine-core with it,
 * platform_node loads 'util'): a require that looks next to tfjs-core first, then next to this runner.
 */
function bundlerRequire(dist) {
  const fromCore = createRequire(join(dist, 'index.js'));
  const fromHere = createRequire(join(HERE, 'run.mjs'));
  const pick = (id) => {
    try {
      fromCore.resolve(id);
      return fromCore;
    } catch {
      return fromHere;
    }
  };
  const req = (id) => pick(id)(id);
  req.resolve = (id, options) => pick(id).resolve(id, options);
  req.cache = fromHere.cache;
  return req;
}

function firstLine(text) {
  const s = String(text ?? '');
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

const log = (line) => process.stdout.write(`${line}\n`);

function writeJson(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}

/** Where the report goes: --json, else (full runs only) the results folder that docs-table.mjs reads. */
function jsonPath(args, partial) {
  if (args.json !== undefined) return args.json;
  return partial ? undefined : join(resultsDir(), `${args.backend}.json`);
}

const isPartial = (args) => args.files.length > 0 || args.shard !== undefined || args.grep !== undefined;

/** Exit code of a report: 0 only with no unexpected failure, no excluded spec passing and (full runs) no stale exclusion. */
const exitCode = (r) => (r.unexpected.length === 0 && r.nowPassing.length === 0 && (r.partial || r.unmatched.length === 0) ? 0 : 1);

/** One run in this process. */
async function runHere(args) {
  const config = BACKENDS[args.backend];
  const dist = tfjsCoreDist();
  const files = pickFiles(specFiles(dist), args);
  const filters = readFilters(args.backend);
  const started = performance.now();
  const partial = isPartial(args);
  const out = jsonPath(args, partial);

  // The backend, through its flatsparse factory.
  const backend = await config.backend();
  const availability = await backend.isAvailable();
  if (!availability.available) {
    const reason = `${availability.reason} Fix: ${availability.fix}`;
    log(`[skip] backend '${args.backend}' is not available: ${reason}`);
    if (out) writeJson(out, { backend: args.backend, skipped: reason });
    return 3;
  }
  const info = await backend.init();
  const testEnv = { ...config.testEnv };
  if (info.tfjsName !== testEnv.backendName) {
    throw new SuiteError('E_TFJS_SUITE_BACKEND', `the ${args.backend} backend started tfjs backend '${info.tfjsName}', not '${testEnv.backendName}'${info.fallback ? ` (${info.fallback})` : ''}`);
  }
  log(`tfjs-core op suite on '${args.backend}': ${info.detail}${info.fallback ? ` [FALLBACK: ${info.fallback}]` : ''}`);

  // Jasmine, with its globals, as jasmine's own Node boot sets them up; specs run in the order defined.
  globalThis.require = bundlerRequire(dist);
  const jasmineRequire = globalThis.require('jasmine-core/lib/jasmine-core/jasmine.js');
  const jasmine = jasmineRequire.core(jasmineRequire);
  const env = jasmine.getEnv();
  Object.assign(globalThis, jasmineRequire.interface(jasmine, env));
  // 20 s as tfjs's jasmine_util sets it (on its own jasmine copy); a minute on a software GPU.
  jasmine.DEFAULT_TIMEOUT_INTERVAL = args.timeout ?? config.timeoutMs ?? 20_000;
  // Spec names without the test environment's label, so that they read the same on every backend.
  const label = ` ${testEnv.name} ${JSON.stringify(testEnv.flags || {})}`;
  const plain = (fullName) => fullName.split(label).join('');
  const grep = args.grep;
  env.configure({ random: false, specFilter: (spec) => grep === undefined || plain(spec.getFullName()).includes(grep) });

  // As tfjs-backend-wasm's setup_test: tfjs-core for its flags, the chained ops and the gradients, then
  // the test environment and the filter through tfjs's jasmine_util.
  const core = (p) => import(pathToFileURL(join(dist, p)).href);
  await core('index.js');
  await core('public/chained_ops/register_all_chained_ops.js');
  await core('register_all_gradients.js');
  const jasmineUtil = await core('jasmine_util.js');
  jasmineUtil.setTestEnvs([testEnv]);
  // Every spec is included (customInclude) except the skipped ones.
  jasmineUtil.setupTestFilters([], (fullName) => !Object.hasOwn(filters.skip, plain(fullName)));

  // Load the spec files; each new top-level suite belongs to the file that defined it.
  const top = env.topSuite();
  const fileOfSuite = new Map();
  const loadErrors = [];
  for (const file of files) {
    const before = top.children.length;
    try {
      await core(file);
    } catch (err) {
      loadErrors.push({ file, message: firstLine(err?.stack ?? err) });
    }
    for (const suite of top.children.slice(before)) fileOfSuite.set(suite.id, file);
  }
  const fileOf = new Map(fileOfSuite);
  const walk = (node, file) => {
    for (const child of node.children ?? []) {
      fileOf.set(child.id, file);
      if (child.children !== undefined) walk(child, file);
    }
  };
  for (const suite of top.children) walk(suite, fileOfSuite.get(suite.id));

  // Collect every result.
  const specs = [];
  const suiteErrors = [];
  const globalErrors = [];
  const fileMs = {};
  let specStart = 0;
  const suiteStart = new Map();
  env.addReporter({
    suiteStarted(r) {
      if (fileOfSuite.has(r.id)) suiteStart.set(r.id, performance.now());
    },
    suiteDone(r) {
      const file = fileOfSuite.get(r.id);
      if (file !== undefined) fileMs[file] = (fileMs[file] ?? 0) + (performance.now() - suiteStart.get(r.id));
      if (r.failedExpectations.length > 0) suiteErrors.push({ name: plain(r.fullName), file: fileOf.get(r.id), message: firstLine(r.failedExpectations[0].message) });
    },
    specStarted() {
      specStart = performance.now();
    },
    specDone(r) {
      const ms = performance.now() - specStart;
      specs.push({ name: plain(r.fullName), file: fileOf.get(r.id), status: r.status, message: r.status === 'failed' ? firstLine(r.failedExpectations[0]?.message) : undefined });
      if (args.verbose && r.status !== 'excluded') {
        log(`${r.status === 'passed' ? 'ok  ' : r.status === 'failed' ? 'FAIL' : r.status} ${plain(r.fullName)} (${ms.toFixed(0)} ms)`);
        for (const e of r.failedExpectations) log(`     ${String(e.stack || e.message).split('\n').slice(0, 12).join('\n     ')}`);
      }
    },
    jasmineDone(r) {
      for (const e of r.failedExpectations ?? []) globalErrors.push(firstLine(e.message));
    },
  });
  const specCount = [...fileOf.keys()].filter((id) => id.startsWith('spec')).length;
  log(`${files.length} spec files, ${specCount} specs; ${Object.keys(filters.expectedFailures).length} expected failures and ${Object.keys(filters.skip).length} skipped in ${relative(ROOT, filters.path)}`);
  await env.execute();

  const report = {
    backend: args.backend,
    tfjsBackend: testEnv.backendName,
    detail: info.detail,
    fallback: info.fallback,
    testEnv,
    node: process.version,
    tfjsCore: JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')).version,
    jasmineCore: jasmine.version,
    files: files.length,
    partial,
    shard: args.shard,
    durationMs: Math.round(performance.now() - started),
    // The list's environment exclusions hold for the adapter it was recorded on (SwiftShader's precision):
    // elsewhere (a real GPU) such a spec may pass, which is reported but fails nothing.
    recordedOn: filters.recordedOn,
    otherAdapter: filters.recordedOn !== undefined && !String(info.detail).includes(filters.recordedOn),
    ...classify({ specs, suiteErrors, globalErrors, loadErrors, filters, otherAdapter: filters.recordedOn !== undefined && !String(info.detail).includes(filters.recordedOn) }),
    fileMs: Object.fromEntries(Object.entries(fileMs).map(([f, ms]) => [f, Math.round(ms)])),
  };
  printReport(report);
  if (out) writeJson(out, report);
  return exitCode(report);
}

/** --jobs n: n child processes, each on every n-th spec file, in parallel; one merged report. */
async function runJobs(args) {
  readFilters(args.backend); // a bad filter list fails here, once, not in every child
  specFiles(tfjsCoreDist());
  const started = performance.now();
  const dir = join(tmpdir(), `flatsparse-tfjs-suite-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const passOn = process.argv.slice(2).filter((a, i, all) => a !== '--jobs' && all[i - 1] !== '--jobs' && a !== '--json' && all[i - 1] !== '--json');
  try {
    const running = [];
    const children = Array.from({ length: args.jobs }, (_, i) => {
      const json = join(dir, `shard-${i + 1}.json`);
      const argv = ['--import', REGISTER_HOOKS, fileURLToPath(import.meta.url), ...passOn, '--shard', `${i + 1}/${args.jobs}`, '--json', json];
      return new Promise((resolve) => {
        const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
        running.push(child);
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('close', (code, signal) => resolve({ index: i + 1, code, signal, output, json }));
      });
    });
    const stop = () => {
      for (const c of running) c.kill('SIGTERM');
      process.exit(1);
    };
    process.once('SIGTERM', stop).once('SIGINT', stop);
    const results = await Promise.all(children);
    process.off('SIGTERM', stop).off('SIGINT', stop);
    const reports = [];
    for (const r of results) {
      const report = existsSync(r.json) ? JSON.parse(readFileSync(r.json, 'utf8')) : undefined;
      if (report?.skipped) {
        log(`[skip] backend '${args.backend}' is not available: ${report.skipped}`);
        const out = jsonPath(args, isPartial(args));
        if (out) writeJson(out, report);
        return 3;
      }
      if (report === undefined || r.code === 2) {
        process.stdout.write(r.output);
        throw new SuiteError('E_TFJS_SUITE_JOB', `job ${r.index}/${args.jobs} ended (${r.signal ?? `exit code ${r.code}`}) without a report`);
      }
      reports.push(report);
    }
    log(results[0].output.split('\n').find((l) => l.startsWith('tfjs-core op suite on')) ?? '');
    const merged = { ...mergeReports(reports), partial: isPartial(args), durationMs: Math.round(performance.now() - started), jobMs: reports.map((r) => r.durationMs) };
    printReport(merged);
    const out = jsonPath(args, merged.partial);
    if (out) writeJson(out, merged);
    return exitCode(merged);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each spec name's outcome against the filter list. A name defined more than once (jasmine allows it)
 * fails if any of its runs fails.
 */
export function classify({ specs, suiteErrors, globalErrors, loadErrors, filters, otherAdapter = false }) {
  const byName = new Map();
  for (const s of specs) {
    const e = byName.get(s.name) ?? { name: s.name, file: s.file, statuses: [], message: undefined };
    e.statuses.push(s.status);
    if (s.status === 'failed' && e.message === undefined) e.message = s.message;
    byName.set(s.name, e);
  }
  const counts = { defined: specs.length, run: 0, passed: 0, failed: 0, expectedFailures: 0, skipped: 0, pending: 0, notSelected: 0 };
  const excludedByReason = {};
  const excludedByDetail = {};
  const exclude = (reason, n) => {
    const category = reason.split(':')[0];
    excludedByReason[category] = (excludedByReason[category] ?? 0) + n;
    excludedByDetail[reason] = (excludedByDetail[reason] ?? 0) + n;
  };
  const unexpected = [];
  const nowPassing = [];
  const passingHere = [];
  const failing = {};
  const seen = new Set();
  for (const s of specs) {
    if (s.status === 'passed' || s.status === 'failed') counts.run++;
    else if (s.status === 'pending') counts.pending++;
    else if (s.status === 'excluded') {
      // Left out by the skip list, or not selected (--grep).
      const reason = filters.skip[s.name];
      if (reason === undefined) counts.notSelected++;
      else {
        counts.skipped++;
        seen.add(s.name);
        exclude(reason, 1);
      }
    }
  }
  for (const e of byName.values()) {
    const ran = e.statuses.filter((s) => s === 'passed' || s === 'failed');
    if (ran.length === 0) continue;
    const failed = ran.includes('failed');
    if (failed) failing[e.name] = e.message ?? '';
    const reason = filters.expectedFailures[e.name];
    if (reason !== undefined) {
      seen.add(e.name);
      if (failed) {
        counts.expectedFailures += ran.length;
        exclude(reason, ran.length);
      } else if (otherAdapter && reason.startsWith('environment:')) passingHere.push({ name: e.name, file: e.file, reason });
      else nowPassing.push({ name: e.name, file: e.file, reason });
    } else {
      const bad = ran.filter((s) => s === 'failed').length;
      counts.failed += bad;
      counts.passed += ran.length - bad;
      if (failed) unexpected.push({ name: e.name, file: e.file, message: e.message });
    }
  }
  // Errors outside specs (a suite's beforeAll/afterAll, loading a file, the run itself) are failures
  // unless the filter list expects them by the suite's name.
  for (const s of suiteErrors) {
    failing[s.name] = s.message;
    if (Object.hasOwn(filters.expectedFailures, s.name)) seen.add(s.name);
    else unexpected.push({ name: s.name, file: s.file, message: `(in the suite's beforeAll/afterAll) ${s.message}` });
  }
  for (const l of loadErrors) unexpected.push({ name: `(loading ${l.file})`, file: l.file, message: l.message });
  for (const g of globalErrors) unexpected.push({ name: '(outside any spec)', file: undefined, message: g });
  // A listed name that no spec (or failing suite) of this run has: stale, on a full run.
  const unmatched = [...Object.keys(filters.expectedFailures), ...Object.keys(filters.skip)].filter((n) => !seen.has(n));
  return { counts, excludedByReason, excludedByDetail, unexpected, nowPassing, passingHere, unmatched, failing };
}

function printReport(r) {
  const c = r.counts;
  const reasons = Object.entries(r.excludedByReason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const jobs = r.jobMs ? ` (${r.jobMs.length} jobs: ${r.jobMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')})` : '';
  log('');
  log(`tfjs-core ${r.tfjsCore} op suite on '${r.backend}' (tfjs backend '${r.tfjsBackend}'), ${r.files} files, ${(r.durationMs / 1000).toFixed(1)} s${jobs}`);
  log(`  specs: ${c.defined} defined, ${c.run} run, ${c.passed} passed, ${c.expectedFailures} expected failures, ${c.skipped} skipped${c.pending ? `, ${c.pending} pending` : ''}${c.notSelected ? `, ${c.notSelected} not selected` : ''}`);
  log(`  excluded by reason: ${reasons}`);
  for (const u of r.unexpected) log(`  UNEXPECTED FAILURE: ${u.name} [${u.file ?? '-'}]: ${u.message}`);
  for (const p of r.nowPassing) log(`  NOW PASSES (remove it from filters/${r.backend}.json): ${p.name} [${p.file ?? '-'}] (listed as: ${p.reason})`);
  for (const p of r.passingHere ?? []) log(`  passes on this adapter (listed for ${r.recordedOn}): ${p.name} (${p.reason})`);
  if (!r.partial) for (const n of r.unmatched) log(`  STALE EXCLUSION (no such spec; remove it from filters/${r.backend}.json): ${n}`);
  log(`  ${r.unexpected.length} unexpected failures, ${r.nowPassing.length} excluded specs now passing${r.partial ? '' : `, ${r.unmatched.length} stale exclusions`}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const jobs = args.jobs ?? (args.shard === undefined ? BACKENDS[args.backend].jobs ?? 1 : 1);
  if (jobs > 1 && args.shard === undefined) return runJobs({ ...args, jobs });
  return runHere(args);
}

if (process.argv[1] !== undefined && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (globalThis[HOOKS] !== true) {
    // Start again with the module hooks installed (hooks.mjs), passing the exit code on.
    const child = spawn(process.execPath, ['--import', REGISTER_HOOKS, ...process.argv.slice(1)], { stdio: 'inherit' });
    for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
    child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } else {
    main().then(
      (code) => process.exit(code),
      (err) => {
        process.stderr.write(`${err instanceof SuiteError ? err.message : err?.stack ?? String(err)}\n`);
        process.exit(err instanceof SuiteError ? 2 : 1);
      },
    );
  }
}
