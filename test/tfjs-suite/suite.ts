import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

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
export function describeTfjsSuite(backend: SuiteBackend, what: string): void {
  describe(`tfjs-core's own op suite on ${backend} (${what})`, () => {
    let run: SuiteRun;
    beforeAll(async () => {
      run = await runTfjsSuite(backend);
      if (run.skipped !== undefined) console.warn(`[skip] tfjs-core op suite: ${run.skipped}`);
      else console.log(summary(run.output));
    }, 600_000);
    const report = (skip: () => void): SuiteReport => {
      if (run.skipped !== undefined) skip();
      return (run as { report: SuiteReport }).report;
    };

    it('every spec passes except those its filter list expects to fail (each with its reason)', (ctx) => {
      const r = report(() => ctx.skip());
      expect(r.counts.defined).toBeGreaterThan(3000);
      expect(r.unexpected.map((u) => `${u.name} [${u.file ?? '-'}]: ${u.message ?? ''}`)).toEqual([]);
    });

    it(`no spec the filter list excludes passes (remove it from test/tfjs-suite/filters/${backend}.json)`, (ctx) => {
      expect(report(() => ctx.skip()).nowPassing.map((p) => `${p.name} (listed as: ${p.reason})`)).toEqual([]);
    });

    it('the filter list names no spec that does not exist', (ctx) => {
      expect(report(() => ctx.skip()).unmatched).toEqual([]);
    });

    if (backend !== 'cpu') {
      it('docs/backends.md shows these counts (regenerate with node test/tfjs-suite/docs-table.mjs)', async (ctx) => {
        const r = report(() => ctx.skip());
        const { tableRow, readTable } = await reportModule();
        const rows = readTable(await readFile(DOCS, 'utf8'));
        expect(rows, 'docs/backends.md has no generated tfjs-suite table').toBeDefined();
        expect(rows![backend]).toEqual(tableRow(r).slice(0, -1));
      });
    }
  });
}
