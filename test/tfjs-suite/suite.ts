import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll } from 'vitest';

// The vitest side of tfjs-core's op suite (run.mjs): one child process per backend runs the suite under
// jasmine; the test reads its JSON report and asserts on it. See README.md.

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const DOCS = join(ROOT, 'docs', 'backends.md');

export type SuiteBackend = 'native' | 'wasm' | 'webgpu' | 'cpu';

export interface SuiteReport {
  readonly backend: SuiteBackend;
  readonly tfjsBackend: string;
  readonly detail: string;
  readonly durationMs: number;
  readonly files: number;
  readonly counts: { readonly defined: number; readonly run: number; readonly passed: number; readonly failed: number; readonly expectedFailures: number; readonly skipped: number };
  readonly excludedByReason: Readonly<Record<string, number>>;
  readonly unexpected: readonly { readonly name: string; readonly file?: string; readonly message?: string }[];
  readonly nowPassing: readonly { readonly name: string; readonly file?: string; readonly reason: string }[];
  readonly unmatched: readonly string[];
}

export type SuiteRun = { readonly skipped: string; readonly output: string } | { readonly skipped?: undefined; readonly report: SuiteReport; readonly output: string };

/** What the tests use of report.mjs (plain JavaScript, run by Node without a build). */
interface ReportModule {
  resultsDir(): string;
  tableRow(report: SuiteReport): string[];
  readTable(markdown: string): Record<string, string[]> | undefined;
}
const reportModule = (): Promise<ReportModule> => import(pathToFileURL(join(HERE, 'report.mjs')).href) as Promise<ReportModule>;

/** The environment of this worker without vitest's variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|NODE_OPTIONS$|FORCE_COLOR$)/.test(k)) env[k] = v;
  return env;
}

/**
 * Runs the suite on `backend` in a child process (`node test/tfjs-suite/run.mjs --backend <b>`), which
 * writes its report where docs-table.mjs reads it. Throws with the child's output when it cannot start
 * or ends without a report.
 */
export async function runTfjsSuite(backend: SuiteBackend): Promise<SuiteRun> {
  const { resultsDir } = await reportModule();
  const json = join(resultsDir(), `${backend}.json`);
  const args = ['--import', pathToFileURL(join(HERE, 'register-hooks.mjs')).href, join(HERE, 'run.mjs'), '--backend', backend, '--json', json];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output: out }));
  });
  if (code === 3) return { skipped: /\[skip\] (.*)/.exec(output)?.[1] ?? output, output };
  if (code !== 0 && code !== 1) throw new Error(`the tfjs-core suite on '${backend}' could not run (exit code ${code}):\n${output}`);
  const report = JSON.parse(await readFile(json, 'utf8')) as SuiteReport;
  return { report, output };
}

/** The summary the runner printed (its last lines), for the test log. */
function summary(output: string): string {
  const at = output.lastIndexOf('\ntfjs-core ');
  return at < 0 ? output : output.slice(at + 1).trimEnd();
}

/**
 * The vitest cases of one backend: the suite runs once (in a child process), then each case checks one
 * promise of the filter list. A backend that is not available here skips every case, with its reason.
 */
/** What a run of the suite found, as lists a test compares with []: each entry one spec. */
export interface SuiteFindings {
  readonly defined: number;
  /** Specs that failed and are not in the filter list. */
  readonly unexpected: readonly string[];
  /** Specs in the filter list that passed. */
  readonly nowPassing: readonly string[];
  /** Filter-list names that match no spec. */
  readonly unmatched: readonly string[];
}

/** The suite of `backend`, run once before the file's tests (skipped, with its reason, where the backend is unavailable). */
export interface TfjsSuite {
  /** The findings; skips the calling test where the suite did not run. */
  findings(ctx: { skip(): void }): SuiteFindings;
  /** This backend's row of the generated table in docs/backends.md, and the row the run gives. */
  docsRow(ctx: { skip(): void }): Promise<{ readonly shown: unknown; readonly measured: unknown }>;
}

/** Runs tfjs-core's op suite on `backend` in a child process, in a beforeAll of the calling file. */
export function useTfjsSuite(backend: SuiteBackend): TfjsSuite {
  let run: SuiteRun;
  beforeAll(async () => {
    run = await runTfjsSuite(backend);
    if (run.skipped !== undefined) console.warn(`[skip] tfjs-core op suite: ${run.skipped}`);
    else console.log(summary(run.output));
  }, 600_000);
  const report = (ctx: { skip(): void }): SuiteReport => {
    if (run.skipped !== undefined) ctx.skip();
    return (run as { report: SuiteReport }).report;
  };
  return {
    findings(ctx) {
      const r = report(ctx);
      return {
        defined: r.counts.defined,
        unexpected: r.unexpected.map((u) => `${u.name} [${u.file ?? '-'}]: ${u.message ?? ''}`),
        nowPassing: r.nowPassing.map((p) => `${p.name} (listed as: ${p.reason})`),
        unmatched: r.unmatched,
      };
    },
    async docsRow(ctx) {
      const r = report(ctx);
      const { tableRow, readTable } = await reportModule();
      const rows = readTable(await readFile(DOCS, 'utf8'));
      return { shown: rows?.[backend], measured: tableRow(r).slice(0, -1) };
    },
  };
}
