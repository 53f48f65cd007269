import { lineChart } from '@flatsparse/core';
import type { ArmSummary, CurveName, Stat } from './aggregate.js';
import type { ClaimVerdict } from './claims.js';
import type { Recipe, Task } from './tasks.js';

/** Everything the reproduction measured on one task. */
export interface TaskResult {
  /** The task, or the group of a sweep's runs the table is about. */
  readonly task: Pick<Task, 'name' | 'description' | 'quality'>;
  /** The reproduction's recipe (a sweep's tables have none). */
  readonly recipe?: Recipe;
  readonly arms: readonly ArmSummary[];
  readonly claims: readonly ClaimVerdict[];
  readonly seeds: readonly number[];
  readonly steps: number;
}

const pct = (s: Stat) => (Number.isNaN(s.mean) ? '-' : `${(s.mean * 100).toFixed(1)} ± ${(s.std * 100).toFixed(1)}%`);
const num = (s: Stat, digits = 3) => (Number.isNaN(s.mean) ? '-' : `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`);
const signed = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);

/** The results of one task as Markdown tables (for docs/reproduction.md): figures, diagnostics, claims. */
export function taskMarkdown(r: TaskResult): string {
  const q = r.task.quality === 'accuracy' ? 'held-out acc.' : 'held-out loss';
  const qv = (s: Stat) => (r.task.quality === 'accuracy' ? pct(s) : num(s, 4));
  const lines = [
    `### ${r.task.name}${r.recipe ? ` (${r.recipe} recipe)` : ''}: ${r.task.description}`,
    '',
    `${r.steps} steps, seeds ${r.seeds.join(', ')}; mean ± standard deviation over seeds. Training figures: mean over the logged steps of the last 10 % of training; inference figures: final held-out evaluation (evaluation mode).`,
    '',
    `| arm | ${q} | train act. sparsity | inference act. sparsity | inference deriv. sparsity | inference sparsity gain | inference density reduction | train sparsity gain |`,
    '|---|---|---|---|---|---|---|---|',
    ...r.arms.map((a) =>
      `| ${a.arm} | ${qv(a.quality)} | ${pct(a.trainActivationSparsity)} | ${pct(a.inferenceActivationSparsity)} | ${pct(a.inferenceDerivativeSparsity)} | ${signed(a.vsVanilla?.inferenceSparsityGain)} | ${signed(a.vsVanilla?.inferenceDensityReduction)} | ${signed(a.vsVanilla?.trainSparsityGain)} |`,
    ),
    '',
    'Diagnostics at the end of training (is each method acting?): MLP LayerNorm scale (mean over entries and layers, its smallest entry, the fraction at M2\'s bound 1), zeroth biases (mean |b|, fraction at the clip bound c |gamma|), on the active entries the mean pre-activation and mean slope sigma\', and the fraction of non-zero activations as the authors log it (`activation/ratio`).',
    '',
    '| arm | LN scale mean | LN scale min | LN at bound | zeroth bias mean \\|b\\| | zeroth bias at bound | active mean p | active mean slope | activation/ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.arms.map((a) => {
      const d = a.diagnostics;
      return `| ${a.arm} | ${num(d.lnScaleMean)} | ${num(d.lnScaleMin)} | ${pct(d.lnAtBound)} | ${num(d.zerothBiasMeanAbs, 4)} | ${pct(d.zerothBiasAtBound)} | ${num(d.activeMeanPre)} | ${num(d.activeSlope)} | ${pct(d.activationRatio)} |`;
    }),
    '',
    ...(r.claims.length === 0 ? [] : ['| claim | verdict | evidence |', '|---|---|---|', ...r.claims.map((c) => `| ${c.claim} | **${c.verdict}** | ${c.evidence} |`), '']),
  ];
  return lines.join('\n');
}

/** The charts of one task: sparsity against steps per arm next to the diagnostics and the flatness figures. */
function charts(r: TaskResult): string {
  const chart = (key: CurveName, title: string, log = false) =>
    lineChart({ title: `${r.task.name}: ${title}`, series: r.arms.filter((a) => a.curves[key].length > 0).map((a) => ({ name: a.arm, points: a.curves[key] })), yScale: log ? 'log' : 'linear' });
  return [
    chart('inferenceActivationSparsity', 'held-out activation sparsity'),
    chart('trainActivationSparsity', 'training activation sparsity'),
    chart('layerNormScale', 'MLP LayerNorm scale (mean)'),
    chart('layerNormAtBound', 'LayerNorm scale at the M2 bound (fraction)'),
    chart('zerothBiasAtBound', 'zeroth biases at the clip bound (fraction)'),
    chart('activeSlope', "mean sigma' on active entries"),
    chart('asK', 'AS_K (augmented flatness)', true),
    chart('c0', 'c0 (L0 coefficient)', true),
    chart('ratio', 'AS_K / c0', true),
  ].join('');
}

/** A self-contained HTML page: the tables, the claims and the curves per task (or group of a sweep). */
export function reproductionHtml(results: readonly TaskResult[], command: string, title = 'Reproduction of arXiv 2605.25612 at small scale', notes = ''): string {
  const sections = results.map((r) => {
    const rows = taskMarkdown(r)
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.startsWith('|---'))
      .map((l) => `<tr>${l.split(/(?<!\\)\|/).slice(1, -1).map((c) => `<td>${c.trim().replace(/\\\|/g, '|').replace(/\*\*(.*)\*\*/, '<b>$1</b>')}</td>`).join('')}</tr>`);
    return `<h2>${r.task.name}${r.recipe ? ` (${r.recipe} recipe)` : ''}</h2><p>${r.task.description}; ${r.steps} steps; seeds ${r.seeds.join(', ')}</p><table>${rows.join('')}</table>
<div class="charts">${charts(r)}</div>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>flatsparse ${title.startsWith('Reproduction') ? 'reproduction' : title}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 20px}td{border:1px solid #ddd;padding:3px 8px;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}</style></head>
<body><h1>${title}</h1><p><code>${command}</code></p>${notes}${sections.join('\n')}</body></html>
`;
}
