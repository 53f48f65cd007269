import { writeFileAtomic } from '@flatsparse/core';
import { ConfigError } from '@flatsparse/plugin-api';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compareHtml, groupRuns, planCharts, type BandKind } from '../compare/compare-page.js';
import { readRun, type ComparedRun } from '../compare/read-run.js';
import type { Io } from '../io.js';

/** Options of `flatsparse compare`. */
export interface CompareOptions {
  /** The page to write (default compare.html; a directory: compare.html in it). */
  readonly out?: string;
  /** What to draw: loss, accuracy, metrics or figures (default: everything the runs logged). */
  readonly metrics?: readonly string[];
  /** The band around each group's mean: min..max (default) or mean ± sd. */
  readonly band?: string;
}

/**
 * `flatsparse compare <run-dir>...`: reads the run directories (their config.json and metrics.jsonl),
 * groups the runs whose configs differ only in the seed, and writes one self-contained HTML page with
 * the curves of every group together (loss, accuracy, each figure's mean over layers and each layer,
 * train and held-out), each group a mean line with a band for its spread over seeds. Every directory is
 * read before anything is written; a bad one stops it with a coded error (see compare-errors.ts).
 */
export async function compareCommand(io: Io, dirs: readonly string[], options: CompareOptions, argv: readonly string[]): Promise<number> {
  const band = options.band ?? 'minmax';
  if (band !== 'minmax' && band !== 'sd') throw new ConfigError('--band', "must be 'minmax' or 'sd'.", { received: band, fix: 'pass --band minmax (the lowest to the highest seed) or --band sd (mean ± one standard deviation).' });
  const runs: ComparedRun[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const key = resolve(dir);
    if (seen.has(key)) {
      io.err(`flatsparse compare: '${dir}' is given twice; compared once.`);
      continue;
    }
    seen.add(key);
    runs.push(await readRun(dir));
  }
  const plan = planCharts(runs, options.metrics);
  const groups = groupRuns(runs);
  const out = await outFile(options.out ?? 'compare.html');
  const command = ['flatsparse', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
  const html = compareHtml({ groups, plan, band: band as BandKind, command });
  await writeFileAtomic(out, html);
  for (const g of groups) io.out(`${g.label}: ${g.runs.length} run(s)${g.runs.length > 1 ? `, seeds ${g.runs.map((r) => r.seed ?? '?').join(', ')}` : ''}`);
  if (plan.leftOut.length > 0) io.err(`flatsparse compare: the runs are of ${plan.tasks.length} tasks (${plan.tasks.join('; ')}); not drawn (not logged by every task): ${plan.leftOut.join(', ')}.`);
  else if (plan.tasks.length > 1 && !plan.loss) io.err(`flatsparse compare: the runs are of ${plan.tasks.length} tasks (${plan.tasks.join('; ')}); loss and accuracy are not drawn (pass --metrics loss,accuracy,... to draw them anyway).`);
  io.out(`written: ${out} (${runs.length} run(s) in ${groups.length} group(s), ${(html.match(/<figure class="fs-chart/g) ?? []).length} charts)`);
  return 0;
}

/** The page's path: `out`, or compare.html inside it when it is a directory. */
async function outFile(out: string): Promise<string> {
  const info = await stat(out).catch(() => undefined);
  return info?.isDirectory() ? join(out, 'compare.html') : out;
}
