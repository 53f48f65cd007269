import { chartScripts, chartStyles, lineChart } from '@flatsparse/core';
import type { ArmSummary, CurveName, Stat } from './aggregate.js';
import { pValue, sig3, type ClaimVerdict } from './claims.js';
import { ALPHA, BOOTSTRAP_MIN_SEEDS, CONFIRMATORY_SEEDS, PERMUTATION_MIN_SEEDS, type ArmComparison } from './compare.js';
import type { Recipe, Task } from './tasks.js';

/** Everything the reproduction measured on one task. */
export interface TaskResult {
  /** The task, or the group of a sweep's runs the table is about. */
  readonly task: Pick<Task, 'name' | 'description' | 'quality'>;
  /** The reproduction's recipe (a sweep's tables have none). */
  readonly recipe?: Recipe;
  readonly arms: readonly ArmSummary[];
  /** Every arm against the reference, paired by seed (the primary endpoint and the secondary figures). */
  readonly comparisons: readonly ArmComparison[];
  readonly claims: readonly ClaimVerdict[];
  readonly seeds: readonly number[];
  readonly steps: number;
}

const pct = (s: Stat) => (Number.isNaN(s.mean) ? '-' : `${(s.mean * 100).toFixed(1)} ± ${(s.std * 100).toFixed(1)}%`);
const num = (s: Stat, digits = 3) => (Number.isNaN(s.mean) ? '-' : `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`);
const signed = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(digits)}%`);
const points = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}` : '-');
const ci = (c: readonly [number, number] | undefined, f: (v: number) => string) => (c && Number.isFinite(c[0]) ? `[${f(c[0])}, ${f(c[1])}]` : '-');
const fixed = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const percentOf = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '-');
const sig = (v: number) => (Number.isFinite(v) ? sig3(v) : '-');
/** Text in a Markdown table cell: pipes escaped. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
/** Seeds as ranges: 0-9, or 0, 2, 5. */
function seedList(seeds: readonly number[]): string {
  if (seeds.length === 0) return 'none yet';
  const sorted = [...seeds].sort((a, b) => a - b);
  const contiguous = sorted.length > 2 && sorted.every((s, i) => i === 0 || s === sorted[i - 1]! + 1);
  return contiguous ? `${sorted[0]}-${sorted[sorted.length - 1]}` : sorted.join(', ');
}

/** The primary endpoint and the secondary figures of every arm against the reference (paired by seed). */
function comparisonLines(r: TaskResult): string[] {
  if (r.comparisons.length === 0) return [];
  const family = r.comparisons[0]!.densityReduction.family;
  const q = r.task.quality === 'accuracy' ? 'accuracy difference (points)' : 'loss change';
  return [
    `Primary endpoint: the relative reduction of inference activation density, 1 - d(arm) / d(${r.comparisons[0]!.reference}), paired by seed (the arms of a seed share initialisation and batch order). Mean over seeds with its 95 % t interval; the percentile bootstrap interval (10 000 seeded resamples) from ${BOOTSTRAP_MIN_SEEDS} pairs; the exact sign-flip permutation p from ${PERMUTATION_MIN_SEEDS} pairs; p of the paired t-test and Holm's adjustment over the ${family} comparisons of this table; d_z = mean / sd of the per-seed reductions; the power of the paired t at alpha ${ALPHA} / ${family} (Holm's first step) to see a 1- and a 3-point sparsity difference with the observed spread, and the sparsity difference it sees with 80 % power. Arms with fewer than ${CONFIRMATORY_SEEDS} pairs are exploratory. Verdict: sparser / denser when Holm p < ${ALPHA}.`,
    '',
    '| arm | pairs | density reduction [95% t CI] | bootstrap 95% CI | sparsity difference, points [95% CI] | d_z | p | Holm p | sign-flip p | power 1 / 3 points | detectable (80%) | verdict | sparsity gain (secondary) | train density reduction [95% CI] (secondary) | ' + q + ' [95% CI] |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.comparisons.map((c) => {
      const e = c.densityReduction;
      const qf = (v: number) => (r.task.quality === 'accuracy' ? points(v) : signed(v, 2));
      return `| ${c.arm} | ${c.seeds.length}${c.exploratory ? ' (exploratory)' : ''} | ${signed(e.mean)} ${ci(e.ci, (v) => signed(v))} | ${ci(e.bootstrapCi, (v) => signed(v))} | ${points(c.sparsityDifference.mean)} ${ci(c.sparsityDifference.ci, points)} | ${fixed(e.dz)} | ${pValue(e.p)} | ${pValue(e.pHolm)} | ${pValue(e.permutationP)} | ${percentOf(c.power.onePoint)} / ${percentOf(c.power.threePoints)} | ${Number.isFinite(c.power.detectable80) ? `${(c.power.detectable80 * 100).toFixed(1)} points` : '-'} | **${c.verdict}** | ${signed(c.sparsityGain)} | ${signed(c.trainDensityReduction.mean)} ${ci(c.trainDensityReduction.ci, (v) => signed(v))} | ${qf(c.qualityChange.mean)} ${ci(c.qualityChange.ci, qf)} |`;
    }),
    '',
  ];
}

/** Inference activation sparsity of every seed, one column per arm (the values every paired test reads). */
function perSeedLines(r: TaskResult): string[] {
  const seeds = [...new Set(r.arms.flatMap((a) => a.perSeed.map((s) => s.seed)))].sort((a, b) => a - b);
  if (seeds.length === 0) return [];
  const value = (a: ArmSummary, seed: number) => {
    const v = a.perSeed.find((s) => s.seed === seed)?.inferenceActivationSparsity;
    return v === undefined || !Number.isFinite(v) ? '' : `${(v * 100).toFixed(2)}`;
  };
  return [
    'Inference activation sparsity (%) per seed:',
    '',
    `| seed | ${r.arms.map((a) => a.arm).join(' | ')} |`,
    `|---|${r.arms.map(() => '---').join('|')}|`,
    ...seeds.map((seed) => `| ${seed} | ${r.arms.map((a) => value(a, seed)).join(' | ')} |`),
    '',
  ];
}

/** AS_K, c0 and the authors' c0 per layer at the end of training, per arm. */
function termLines(r: TaskResult): string[] {
  if (!r.arms.some((a) => a.terms.asK.atEnd.some((s) => Number.isFinite(s.mean)))) return [];
  const perLayer = (stats: readonly Stat[]) => (stats.length === 0 ? '-' : stats.map((s) => sig(s.mean)).join(' / '));
  return [
    "The terms of the identity density = AS_K / (T n c0) per MLP layer (layer 0 / 1 / ...), mean over the train records of the last 10 % of steps and over seeds: AS_K (augmented flatness), c0 as flatsparse computes it (entries with sigma'(p) != 0, weighted by sigma'(p)^2: the generalised identity) and the authors' `coefficients_L0` (entries with a > 0, unweighted). For ReLU the two c0 are equal; for J-SquaredReLU only the authors' figure compares with their logs. The trend verdicts below judge AS_K and c0 on the vanilla (ReLU) arm, where both c0 coincide.",
    '',
    "| arm | AS_K | c0 | authors' c0 |",
    '|---|---|---|---|',
    ...r.arms.map((a) => `| ${a.arm} | ${perLayer(a.terms.asK.atEnd)} | ${perLayer(a.terms.c0.atEnd)} | ${perLayer(a.terms.c0Authors.atEnd)} |`),
    '',
  ];
}

/** The results of one task as Markdown tables (for docs/reproduction.md): figures, the paired comparisons, per-seed values, diagnostics, terms, claims. */
export function taskMarkdown(r: TaskResult): string {
  const q = r.task.quality === 'accuracy' ? 'held-out acc.' : 'held-out loss';
  const qv = (s: Stat) => (r.task.quality === 'accuracy' ? pct(s) : num(s, 4));
  const lines = [
    `### ${r.task.name}${r.recipe ? ` (${r.recipe} recipe)` : ''}: ${r.task.description}`,
    '',
    `${r.steps} steps, seeds ${r.arms.map((a) => `${a.arm} ${seedList(a.perSeed.map((s) => s.seed))}`).join('; ')}; mean ± standard deviation over seeds. Training figures: mean over the logged steps of the last 10 % of training; inference figures: final held-out evaluation (evaluation mode).`,
    '',
    `| arm | seeds | ${q} | train act. sparsity | inference act. sparsity | inference deriv. sparsity |`,
    '|---|---|---|---|---|---|',
    ...r.arms.map((a) => `| ${a.arm} | ${a.perSeed.length} | ${qv(a.quality)} | ${pct(a.trainActivationSparsity)} | ${pct(a.inferenceActivationSparsity)} | ${pct(a.inferenceDerivativeSparsity)} |`),
    '',
    ...comparisonLines(r),
    ...perSeedLines(r),
    'Diagnostics at the end of training (is each method acting?): MLP LayerNorm scale (mean over entries and layers, its smallest entry, the fraction at M2\'s bound 1), zeroth biases (mean |b|, fraction at the clip bound c |gamma|), on the active entries the mean pre-activation and mean slope sigma\', and the fraction of non-zero activations as the authors log it (`activation/ratio`).',
    '',
    '| arm | LN scale mean | LN scale min | LN at bound | zeroth bias mean \\|b\\| | zeroth bias at bound | active mean p | active mean slope | activation/ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.arms.map((a) => {
      const d = a.diagnostics;
      return `| ${a.arm} | ${num(d.lnScaleMean)} | ${num(d.lnScaleMin)} | ${pct(d.lnAtBound)} | ${num(d.zerothBiasMeanAbs, 4)} | ${pct(d.zerothBiasAtBound)} | ${num(d.activeMeanPre)} | ${num(d.activeSlope)} | ${pct(d.activationRatio)} |`;
    }),
    '',
    ...termLines(r),
    ...(r.claims.length === 0 ? [] : ['| claim | verdict | test and correction | evidence |', '|---|---|---|---|', ...r.claims.map((c) => `| ${cell(c.claim)} | **${c.verdict}** | ${cell(c.test)} | ${cell(c.evidence)} |`), '']),
  ];
  return lines.join('\n');
}

/**
 * The charts of one task: sparsity against steps per arm next to the diagnostics and the flatness
 * figures; each arm's line is the mean over its seeds, with a band from the lowest to the highest seed.
 */
function charts(r: TaskResult): string {
  const chart = (key: CurveName, title: string, log = false) =>
    lineChart({
      title: `${r.task.name}: ${title}`,
      series: r.arms
        .filter((a) => a.curves[key].length > 0)
        .map((a) => ({ name: a.arm, points: a.curves[key], ...(a.perSeed.length > 1 ? { band: a.curveSpread[key], bandLabel: `min..max of ${a.perSeed.length} seeds` } : {}) })),
      yScale: log ? 'log' : 'linear',
    });
  return [
    chart('inferenceActivationSparsity', 'held-out activation sparsity'),
    chart('trainActivationSparsity', 'training activation sparsity'),
    chart('layerNormScale', 'MLP LayerNorm scale (mean)'),
    chart('layerNormAtBound', 'LayerNorm scale at the M2 bound (fraction)'),
    chart('zerothBiasAtBound', 'zeroth biases at the clip bound (fraction)'),
    chart('activeSlope', "mean sigma' on active entries"),
    chart('asK', 'AS_K (augmented flatness)', true),
    chart('c0', "c0 (sigma'(p)^2-weighted L0 coefficient)", true),
    chart('c0Authors', "the authors' c0 (coefficients_L0)", true),
    chart('ratio', 'AS_K / c0 (= T n density by the identity)', true),
  ].join('');
}

/** A self-contained HTML page (the chart library inlined, no network): the tables, the claims and the interactive curves per task (or group of a sweep), then `after[i]` (more HTML for the i-th result). */
export function reproductionHtml(results: readonly TaskResult[], command: string, title = 'Reproduction of arXiv 2605.25612 at small scale', notes = '', after: readonly string[] = []): string {
  const sections = results.map((r, i) => {
    // Each run of table lines (between blank lines) is one table; its first row is the header.
    const tables: string[] = [];
    let rows: string[] = [];
    const flush = () => {
      if (rows.length > 0) tables.push(`<table>${rows.join('')}</table>`);
      rows = [];
    };
    for (const l of taskMarkdown(r).split('\n')) {
      if (!l.startsWith('|')) {
        flush();
        if (l.trim() !== '' && !l.startsWith('###')) tables.push(`<p>${escapeHtml(l)}</p>`);
        continue;
      }
      if (l.startsWith('|---')) continue;
      const tag = rows.length === 0 ? 'th' : 'td';
      rows.push(`<tr>${l.split(/(?<!\\)\|/).slice(1, -1).map((c) => `<${tag}>${escapeHtml(c.trim().replace(/\\\|/g, '|')).replace(/\*\*(.*)\*\*/, '<b>$1</b>')}</${tag}>`).join('')}</tr>`);
    }
    flush();
    return `<h2>${escapeHtml(r.task.name)}${r.recipe ? ` (${r.recipe} recipe)` : ''}</h2>${tables.join('\n')}
<div class="charts">${charts(r)}</div>${after[i] ?? ''}`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>flatsparse ${title.startsWith('Reproduction') ? 'reproduction' : title}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px}th{background:#f4f4f4}p{max-width:1100px}.charts{display:flex;flex-wrap:wrap;gap:12px}</style>${chartStyles()}</head>
<body><h1>${title}</h1><p><code>${command}</code></p>${notes}${sections.join('\n')}
${chartScripts()}</body></html>
`;
}

/** Text for HTML: & < > " escaped. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
