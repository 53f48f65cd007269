import { lineChart } from '@flatsparse/core';
import type { ArmSummary, Stat } from './aggregate.js';
import type { ClaimVerdict } from './claims.js';
import type { Task } from './tasks.js';

/** Everything the reproduction measured on one task. */
export interface TaskResult {
  readonly task: Task;
  readonly arms: readonly ArmSummary[];
  readonly claims: readonly ClaimVerdict[];
  readonly seeds: readonly number[];
  readonly steps: number;
}

const pct = (s: Stat) => `${(s.mean * 100).toFixed(1)} ± ${(s.std * 100).toFixed(1)}%`;
const signed = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);

/** The results of one task as Markdown tables (for docs/reproduction.md). */
export function taskMarkdown(r: TaskResult): string {
  const q = r.task.quality === 'accuracy' ? 'held-out acc.' : 'held-out loss';
  const qv = (s: Stat) => (r.task.quality === 'accuracy' ? pct(s) : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`);
  const lines = [
    `### ${r.task.name}: ${r.task.description}`,
    '',
    `${r.steps} steps, seeds ${r.seeds.join(', ')}; mean ± standard deviation over seeds. Training figures: mean over the logged steps of the last 10 % of training; inference figures: final held-out evaluation (evaluation mode).`,
    '',
    `| arm | ${q} | train act. sparsity | inference act. sparsity | train deriv. sparsity | inference deriv. sparsity | inference sparsity gain | inference density reduction | train sparsity gain | train density reduction |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.arms.map((a) =>
      `| ${a.arm} | ${qv(a.quality)} | ${pct(a.trainActivationSparsity)} | ${pct(a.inferenceActivationSparsity)} | ${pct(a.trainDerivativeSparsity)} | ${pct(a.inferenceDerivativeSparsity)} | ${signed(a.vsVanilla?.inferenceSparsityGain)} | ${signed(a.vsVanilla?.inferenceDensityReduction)} | ${signed(a.vsVanilla?.trainSparsityGain)} | ${signed(a.vsVanilla?.trainDensityReduction)} |`,
    ),
    '',
    '| claim | verdict | evidence |',
    '|---|---|---|',
    ...r.claims.map((c) => `| ${c.claim} | **${c.verdict}** | ${c.evidence} |`),
    '',
  ];
  return lines.join('\n');
}

/** A self-contained HTML page: the tables, the claims and the AS_K, c0, ratio and sparsity curves per task (log scales). */
export function reproductionHtml(results: readonly TaskResult[], command: string): string {
  const sections = results.map((r) => {
    const chart = (key: 'asK' | 'c0' | 'ratio' | 'trainActivationSparsity', title: string, log: boolean) =>
      lineChart({ title: `${r.task.name}: ${title}`, series: r.arms.map((a) => ({ name: a.arm, points: a.curves[key] })), yScale: log ? 'log' : 'linear' });
    const md = taskMarkdown(r)
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.startsWith('|---'))
      .map((l) => `<tr>${l.split('|').slice(1, -1).map((c) => `<td>${c.trim().replace(/\*\*(.*)\*\*/, '<b>$1</b>')}</td>`).join('')}</tr>`);
    return `<h2>${r.task.name}</h2><p>${r.task.description}; ${r.steps} steps; seeds ${r.seeds.join(', ')}</p><table>${md.join('')}</table>
<div class="charts">${chart('trainActivationSparsity', 'training activation sparsity', false)}${chart('asK', 'AS_K (augmented flatness)', true)}${chart('c0', 'c0 (L0 coefficient)', true)}${chart('ratio', 'AS_K / c0', true)}</div>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>flatsparse reproduction</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 20px}td{border:1px solid #ddd;padding:3px 8px;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}</style></head>
<body><h1>Reproduction of arXiv 2605.25612 at small scale</h1><p><code>${command}</code></p>${sections.join('\n')}</body></html>
`;
}
