import type { RunFailure, RunWarning } from '../faults/fault-records.js';
import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import { flatnessSection } from '../flatness/flatness-report.js';
import { chartScripts, chartStyles, lineChart, type ChartSeries } from './chart.js';
import { esc } from './svg-chart.js';
import type { RunRecord } from './run-record.js';
import type { RunStatus } from './run-status.js';

/** What a report shows besides the records. */
export interface ReportInput {
  readonly title: string;
  /** Key facts shown in a table at the top (backend, model, data, seed, ...). */
  readonly facts: Readonly<Record<string, string | number | boolean>>;
  readonly records: readonly RunRecord[];
  /** The resolved config, shown verbatim. */
  readonly config?: unknown;
  /** Faults the run continued past (for example disabled metrics), listed after the facts. */
  readonly warnings?: readonly RunWarning[];
  /** Why the run stopped, if it failed: shown first. */
  readonly failure?: RunFailure;
  /** Scheduled flatness estimates, drawn over steps next to the sparsity curves. */
  readonly flatness?: readonly FlatnessRecord[];
  /** Where the run stands; the values are "final" only once it completed (default: completed). */
  readonly status?: RunStatus;
}

const FLATNESS = /(^|\.)(asK|asV|c0|c2|ratio)$/;

/**
 * A self-contained HTML report (one file, no network: the chart library is inlined, see chart.ts): the
 * failure, if the run failed, and the warnings; loss and accuracy, then one interactive chart per
 * figure with the train and held-out means and the per-layer train values; flatness figures (AS_K,
 * AS_V, c0, c2, the ratio) on log scales; then the scheduled flatness estimates next to the sparsity
 * curves (see flatnessSection). Without scripts each chart is a static SVG.
 */
export function renderReport(input: ReportInput): string {
  const train = input.records.filter((r) => r.split === 'train');
  const held = input.records.filter((r) => r.split === 'heldOut');
  const charts: string[] = [];
  charts.push(lineChart({ title: 'loss', series: [series('train', train, (r) => r.loss), series('held-out', held, (r) => r.loss)], yScale: 'auto' }));
  if (held.some((r) => r.accuracy !== undefined)) charts.push(lineChart({ title: 'held-out accuracy', series: [series('held-out', held, (r) => r.accuracy)] }));
  const names = [...new Set(input.records.flatMap((r) => Object.keys(r.figures)))].sort(byImportance);
  for (const name of names) {
    const layers = Math.max(0, ...train.map((r) => r.figures[name]?.perLayer.length ?? 0));
    const s: ChartSeries[] = [series('train (mean)', train, (r) => r.figures[name]?.mean), series('inference (mean)', held, (r) => r.figures[name]?.mean)];
    for (let l = 0; l < layers; l++) s.push({ ...series(`train layer ${l}`, train, (r) => r.figures[name]?.perLayer[l]), dashed: true });
    charts.push(lineChart({ title: name, series: s, yScale: FLATNESS.test(name) ? 'log' : 'linear' }));
  }
  const last = (rs: readonly RunRecord[]) => rs[rs.length - 1];
  const finalRows = names
    .map((n) => `<tr><td>${esc(n)}</td><td>${fmt(last(train)?.figures[n]?.mean)}</td><td>${fmt(last(held)?.figures[n]?.mean)}</td></tr>`)
    .join('');
  const facts = Object.entries(input.facts).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}.failure{border:2px solid #c00;background:#fff0f0;padding:8px 12px;margin:8px 0 16px}pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}</style>
${chartStyles()}
</head><body>
<h1>${esc(input.title)}</h1>
${failureSection(input.failure)}${statusSection(input.status)}<table>${facts}</table>
${warningsSection(input.warnings ?? [])}
<h2>${valuesHeading(input.status, last(train)?.step ?? last(held)?.step)}</h2>
<table><tr><th>figure</th><th>train</th><th>inference (held-out)</th></tr>
<tr><td>loss</td><td>${fmt(last(train)?.loss)}</td><td>${fmt(last(held)?.loss)}</td></tr>
<tr><td>accuracy</td><td></td><td>${fmt(last(held)?.accuracy)}</td></tr>${finalRows}</table>
<h2>Curves</h2>
<div class="charts">${charts.join('\n')}</div>
${flatnessSection(input.flatness ?? [], input.records)}
${input.config === undefined ? '' : `<h2>Resolved config</h2><pre>${esc(JSON.stringify(input.config, null, 2))}</pre>`}
${chartScripts()}
</body></html>
`;
}

function series(name: string, records: readonly RunRecord[], pick: (r: RunRecord) => number | undefined): ChartSeries {
  return { name, points: records.flatMap((r) => { const v = pick(r); return v === undefined ? [] : [[r.step, v] as const]; }) };
}

function byImportance(a: string, b: string): number {
  const rank = (n: string) => (/sparsity/i.test(n) ? 0 : FLATNESS.test(n) ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}

function failureSection(f: RunFailure | undefined): string {
  if (f === undefined) return '';
  const where = [f.plugin && `plugin '${f.plugin}'`, f.event && `in '${f.event}'`, f.step !== undefined && `at step ${f.step}`].filter(Boolean).join(' ');
  const resume = f.lastCheckpoint === undefined ? 'No checkpoint was written before the failure.' : `Last checkpoint: ${f.lastCheckpoint} (resume from it).`;
  return `<div class="failure"><h2>Run failed: ${esc(f.code)}${where ? ` (${esc(where)})` : ''}</h2><p>${esc(f.message)}</p><p>Stopped after ${f.completedSteps} step(s). ${esc(resume)}</p></div>\n`;
}

/** A banner for a run that has not completed: interrupted (with how to resume) or still running (or killed). */
function statusSection(status: RunStatus | undefined): string {
  if (status === undefined || status.state === 'completed' || status.state === 'failed') return '';
  const steps = status.completedSteps === undefined ? '' : ` after ${status.completedSteps} step(s)`;
  const resume = status.resume === undefined ? '' : `<p>Resume: <code>${esc(status.resume)}</code></p>`;
  if (status.state === 'interrupted') return `<div class="failure"><h2>Run interrupted${esc(steps)}</h2><p>A checkpoint was written when it stopped; the values below are not final.</p>${resume}</div>\n`;
  return `<div class="failure"><h2>Run in progress (or killed)</h2><p>The values below are the latest written, not final.</p>${resume}</div>\n`;
}

function valuesHeading(status: RunStatus | undefined, step: number | undefined): string {
  const state = status?.state ?? 'completed';
  if (state === 'completed') return 'Final values';
  const at = step === undefined ? '' : ` at step ${step}`;
  return state === 'interrupted' ? `Values${at} (run interrupted, not final)` : state === 'failed' ? `Values${at} (run failed, not final)` : `Latest values${at} (run not finished)`;
}

function warningsSection(warnings: readonly RunWarning[]): string {
  if (warnings.length === 0) return '';
  const rows = warnings
    .map((w) => `<tr><td>${w.step ?? ''}</td><td>${esc(w.plugin ?? '')}</td><td>${esc(w.event ?? '')}</td><td>${esc(w.code)}</td><td>${esc(w.action)}</td><td>${esc(w.message)}</td></tr>`)
    .join('');
  return `<h2>Warnings</h2>\n<table><tr><th>step</th><th>plugin</th><th>event</th><th>code</th><th>action</th><th>message</th></tr>${rows}</table>`;
}
