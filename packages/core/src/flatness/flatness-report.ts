import { chartScripts, chartStyles, lineChart, type ChartSeries } from '../report/chart.js';
import { esc } from '../report/svg-chart.js';
import type { RunRecord } from '../report/run-record.js';
import type { FlatnessRecord } from './estimator-runner.js';

/** Figures that come with an error bar of this name are drawn with a band (value +- 2 stdErr). */
const STDERR = 'StdErr';

/**
 * The flatness section of a report: for every estimator figure a chart over steps (with +-2 standard
 * errors where the estimator gives them, and the interval where it gives `<figure>Lo/Hi`), placed next
 * to the sparsity curves of the same run on the same step axis, then the latest spectral density (and
 * earlier ones dashed) for estimators that return curves, then a table of every estimate's cost and
 * randomness. Returns '' when there are no flatness records.
 */
export function flatnessSection(flatness: readonly FlatnessRecord[], records: readonly RunRecord[]): string {
  if (flatness.length === 0) return '';
  const charts: string[] = [];
  const sparsity = [...new Set(records.flatMap((r) => Object.keys(r.figures)))].filter((n) => /sparsity/i.test(n)).sort();
  for (const name of sparsity) {
    const series: ChartSeries[] = [];
    for (const split of ['train', 'heldOut'] as const) {
      const points = records.filter((r) => r.split === split && r.figures[name] !== undefined).map((r) => [r.step + 1, r.figures[name]!.mean] as const);
      if (points.length) series.push({ name: split === 'train' ? 'train' : 'held-out', points });
    }
    charts.push(lineChart({ title: name, series, xLabel: 'steps completed', width: 420, height: 260 }));
  }
  const byEstimator = groupBy(flatness, (r) => r.estimator);
  for (const [estimator, rs] of byEstimator) {
    const names = [...new Set(rs.flatMap((r) => Object.keys(r.figures)))].filter((n) => !n.endsWith(STDERR) && !/(Lo|Hi)$/.test(n)).sort();
    for (const name of names) {
      const at = rs.filter((r) => r.figures[name] !== undefined);
      const series: ChartSeries[] = [{ name, points: at.map((r) => [r.step, r.figures[name]!] as const) }];
      const err = at.filter((r) => r.figures[`${name}${STDERR}`] !== undefined);
      if (err.length) {
        series.push({ name: '+2 s.e.', dashed: true, points: err.map((r) => [r.step, r.figures[name]! + 2 * r.figures[`${name}${STDERR}`]!] as const) });
        series.push({ name: '-2 s.e.', dashed: true, points: err.map((r) => [r.step, r.figures[name]! - 2 * r.figures[`${name}${STDERR}`]!] as const) });
      }
      const ci = at.filter((r) => r.figures[`${name}Lo`] !== undefined && r.figures[`${name}Hi`] !== undefined);
      if (ci.length) {
        series.push({ name: '95% CI high', dashed: true, points: ci.map((r) => [r.step, r.figures[`${name}Hi`]!] as const) });
        series.push({ name: '95% CI low', dashed: true, points: ci.map((r) => [r.step, r.figures[`${name}Lo`]!] as const) });
      }
      charts.push(lineChart({ title: `${estimator}.${name}`, series, xLabel: 'steps completed', width: 420, height: 260 }));
    }
    const curveNames = [...new Set(rs.flatMap((r) => Object.keys(r.curves ?? {})))].sort();
    for (const curve of curveNames) {
      const with_ = rs.filter((r) => r.curves?.[curve] !== undefined);
      const shown = with_.slice(-4);
      const series = shown.map((r, i) => ({
        name: `step ${r.step}`,
        dashed: i < shown.length - 1,
        points: r.curves![curve]!.x.map((x, j) => [x, r.curves![curve]!.y[j]!] as const),
      }));
      charts.push(lineChart({ title: `${estimator}.${curve}`, series, xLabel: 'eigenvalue', width: 420, height: 260 }));
    }
  }
  const rows = flatness
    .map(
      (r) =>
        `<tr><td>${r.step}</td><td>${esc(r.estimator)}</td><td>${esc(r.plugin)}</td><td>${r.cost.forwardPasses}</td><td>${r.cost.backwardPasses}</td><td>${Math.round(r.cost.wallMs)}</td><td>${r.randomness ? `${r.randomness.seed} / ${r.randomness.probes}` : 'deterministic'}</td><td>${esc(r.method ? `${r.method.hvp}: ${r.method.reason}` : '')}</td><td>${r.batch.size} (${r.batch.split})</td></tr>`,
    )
    .join('');
  return `<h2>Flatness estimators and sparsity</h2>
<div class="charts">${charts.join('\n')}</div>
<table><tr><th>step</th><th>estimator</th><th>plugin</th><th>forward passes</th><th>backward passes</th><th>wall ms</th><th>seed / probes</th><th>Hessian-vector products</th><th>fixed batch</th></tr>${rows}</table>`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/**
 * A self-contained HTML page (the chart library inlined, no network) with the flatness section of `flatnessSection`:
 * what `flatsparse flatness <run-dir>` writes next to the run's own report.
 */
export function renderFlatnessReport(input: { readonly title: string; readonly facts: Readonly<Record<string, string | number | boolean>>; readonly flatness: readonly FlatnessRecord[]; readonly records: readonly RunRecord[] }): string {
  const facts = Object.entries(input.facts).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}</style>
${chartStyles()}
</head><body>
<h1>${esc(input.title)}</h1>
<table>${facts}</table>
${flatnessSection(input.flatness, input.records) || '<p>No estimates.</p>'}
${chartScripts()}
</body></html>
`;
}
