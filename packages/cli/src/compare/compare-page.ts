import { CHART_PALETTE, chartScripts, chartStyles, lineChart, upgradeFigureKey, type ChartSeries, type RunRecord } from '@flatsparse/core';
import { CompareError } from './compare-errors.js';
import type { ComparedRun } from './read-run.js';

/** What a band around a group's mean line shows: the lowest to the highest seed, or the mean +- one standard deviation. */
export type BandKind = 'minmax' | 'sd';

/** Runs whose configs are identical but for the seed: drawn as one line (their mean) with a band (their spread). */
export interface RunGroup {
  /** The group's name in legends: the runs' name without its seed suffix, or what sets the group apart. */
  readonly label: string;
  /** The config keys in which this group differs from the others ('activation=relu, plugins=[]'); '' for one group. */
  readonly differs: string;
  readonly color: string;
  readonly runs: readonly ComparedRun[];
}

/** Figures on log scales (flatness and its terms), as in a run's report. */
const FLATNESS = /(^|\.)(asK|asV|c0|c0Authors|c2|ratio)$/;

/** JSON with sorted keys: equal setups give equal text. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** A list's items in words, kept for saying which items a group adds or lacks. */
const LIST = '\u0001';

/** A plugin reference in words: 'relu', or 'zeroth-bias(placement=output)'. */
function refText(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'object' && ref !== null && typeof (ref as { name?: unknown }).name === 'string') {
    const { name, ...rest } = ref as { name: string } & Record<string, unknown>;
    const options = [...leaves(rest)].map(([k, v]) => `${k.replace(/^options\./, '')}=${v.startsWith(LIST) ? v.split(LIST).slice(1).join('+') : v}`);
    return options.length === 0 ? name : `${name}(${options.join(',')})`;
  }
  return stable(ref);
}

/** Every leaf of a config as 'path' -> value text ('train.lr.lr' -> '0.002'); lists as their items (separated by LIST). */
function leaves(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) out.set(path, LIST + value.map(refText).join(LIST));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) leaves(v, path === '' ? k : `${path}.${k}`, out);
  else out.set(path, String(value));
  return out;
}

/**
 * Groups runs whose configs are identical except for the seed (and the name, backend and output
 * folder); a run without config.json is a group of its own. A group is named by its runs' name without
 * the seed suffix ('demo-vanilla-s0' -> 'demo-vanilla') where that tells the groups apart, else by the
 * config keys in which the groups differ ('activation=j-squared-relu, plugins=zeroth-bias(...)').
 * Groups keep the order of their first run.
 */
export function groupRuns(runs: readonly ComparedRun[]): RunGroup[] {
  const byKey = new Map<string, ComparedRun[]>();
  runs.forEach((run, i) => {
    const key = run.setup === undefined ? `\u0000${i}` : stable(run.setup);
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  });
  const members = [...byKey.values()];
  const flat = members.map((g) => (g[0]!.setup === undefined ? undefined : leaves(g[0]!.setup)));
  const paths = [...new Set(flat.flatMap((f) => [...(f?.keys() ?? [])]))].sort();
  const differing = paths.filter((p) => new Set(flat.map((f) => (f === undefined ? '\u0000' : f.get(p) ?? '(unset)'))).size > 1);
  const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
  const items = (text: string | undefined) => (text?.startsWith(LIST) ? text.split(LIST).slice(1).filter((x) => x !== '') : undefined);
  // A list is told by what sets it apart: the items not every group has ('metrics +zeroth-bias'), or those it lacks.
  const listed = (p: string, list: readonly string[]) => {
    const lists = flat.map((g) => items(g?.get(p)) ?? []);
    const extra = list.filter((x) => !lists.every((l) => l.includes(x)));
    const lacks = [...new Set(lists.flat())].filter((x) => !list.includes(x));
    return [extra.length ? `+${extra.join(' +')}` : '', lacks.length ? `without ${lacks.join(', ')}` : ''].filter(Boolean).join(', ') || list.join('+') || 'none';
  };
  const value = (p: string, text: string | undefined) => (text === undefined ? '(unset)' : items(text) ? listed(p, items(text)!) : text);
  const differs = flat.map((f) => (f === undefined ? 'no config.json' : differing.map((p) => `${p}=${clip(value(p, f.get(p)))}`).join(', ')));
  const seedless = (name: string) => name.replace(/[-_.]?(s|seed)[-_]?\d+$/i, '') || name;
  const names = members.map((g) => [...new Set(g.map((r) => seedless(r.name)))].join(' / '));
  const byName = new Set(names).size === names.length;
  const labels = members.map((_, i) => (byName || flat[i] === undefined || differs[i] === '' ? names[i]! : differs[i]!));
  // Labels that would still collide get their group's number.
  const unique = labels.map((l, i) => (labels.indexOf(l) === i && labels.lastIndexOf(l) === i ? l : `${l} (group ${i + 1})`));
  return members.map((g, i) => ({ label: unique[i]!, differs: members.length === 1 ? '' : differs[i]!, color: CHART_PALETTE[i % CHART_PALETTE.length]!, runs: g }));
}

/** What the band is, in words, for the legend. */
export function bandWords(band: BandKind, seeds: number): string {
  return band === 'minmax' ? `min..max of ${seeds} seeds` : `mean ± sd of ${seeds} seeds`;
}

/**
 * One line of a group: at every step, the mean over the group's runs that logged a value there, and a
 * band (min..max, or mean ± sample sd) where more than one run did. Non-finite values are left out.
 */
export function groupSeries(group: RunGroup, split: 'train' | 'heldOut', pick: (r: RunRecord) => number | undefined, band: BandKind, dashed: boolean): ChartSeries {
  const values = new Map<number, number[]>();
  for (const run of group.runs) {
    const last = new Map<number, number>();
    for (const r of run.records) {
      if (r.split !== split) continue;
      const v = pick(r);
      if (v !== undefined && v !== null && Number.isFinite(v)) last.set(r.step, v);
    }
    for (const [step, v] of last) values.set(step, [...(values.get(step) ?? []), v]);
  }
  const steps = [...values.keys()].sort((a, b) => a - b);
  const points = steps.map((s) => {
    const vs = values.get(s)!;
    return [s, vs.reduce((a, b) => a + b, 0) / vs.length] as const;
  });
  const spread = steps.flatMap((s, i) => {
    const vs = values.get(s)!;
    if (vs.length < 2) return [];
    if (band === 'minmax') return [[s, Math.min(...vs), Math.max(...vs)] as const];
    const mean = points[i]![1];
    const sd = Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (vs.length - 1));
    return [[s, mean - sd, mean + sd] as const];
  });
  const name = `${group.label} ${split === 'train' ? 'train' : 'held-out'}`;
  return { name, points, color: group.color, ...(dashed ? { dashed } : {}), ...(spread.length > 0 ? { band: spread, bandLabel: bandWords(band, group.runs.length) } : {}) };
}

/** Sparsity first, flatness figures last, as in a run's report. */
function byImportance(a: string, b: string): number {
  const rank = (n: string) => (/sparsity/i.test(n) ? 0 : FLATNESS.test(n) ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** What `compareCharts` draws, and what it left out. */
export interface ComparePlan {
  /** Figure keys drawn ('activation-sparsity.value'), in order. */
  readonly figures: readonly string[];
  /** Whether the loss and the held-out accuracy are drawn. */
  readonly loss: boolean;
  readonly accuracy: boolean;
  /** The tasks of the runs ('vit on mnist'), one or more. */
  readonly tasks: readonly string[];
  /** Figures not drawn because the runs of another task do not have them. */
  readonly leftOut: readonly string[];
}

/**
 * Which charts to draw: every figure any run logged, or those `metrics` names ('loss', 'accuracy', a
 * metric 'activation-sparsity' for all its figures, or one figure 'activation-sparsity.value'; names
 * of flatsparse 0.2 accepted). Runs of different tasks are drawn on the figures every task has, and
 * without loss and accuracy unless asked for; with nothing in common, E_COMPARE_NOTHING_COMMON. A
 * name no run logged: E_COMPARE_UNKNOWN_METRIC.
 */
export function planCharts(runs: readonly ComparedRun[], metrics?: readonly string[]): ComparePlan {
  const figuresOf = (rs: readonly ComparedRun[]) => new Set(rs.flatMap((r) => r.records.flatMap((x) => Object.keys(x.figures))));
  const tasks = [...new Set(runs.map((r) => r.task))];
  const all = [...figuresOf(runs)].sort();
  const perTask = tasks.map((t) => figuresOf(runs.filter((r) => r.task === t)));
  const mixed = tasks.length > 1;
  const inCommon = (f: string) => !mixed || perTask.every((s) => s.has(f));
  let figures = all;
  let loss = !mixed;
  let accuracy = !mixed;
  if (metrics !== undefined && metrics.length > 0) {
    const wanted = metrics.map((m) => (m === 'loss' || m === 'accuracy' ? m : upgradeFigureKey(m)));
    loss = wanted.includes('loss');
    accuracy = wanted.includes('accuracy');
    figures = [];
    for (const m of wanted.filter((w) => w !== 'loss' && w !== 'accuracy')) {
      const match = all.filter((f) => f === m || f.startsWith(`${m}.`));
      if (match.length === 0) {
        throw new CompareError('E_COMPARE_UNKNOWN_METRIC', `--metrics names '${m}', which none of the ${runs.length} run(s) logged.`, {
          received: m,
          expected: `loss, accuracy, a metric (for all its figures) or a figure: ${['loss', 'accuracy', ...all].join(', ')}`,
          fix: `pass names from that list, for example --metrics loss,${all.find((f) => /sparsity/.test(f))?.split('.')[0] ?? 'accuracy'}.`,
        });
      }
      figures.push(...match.filter((f) => !figures.includes(f)));
    }
  }
  const drawn = figures.filter(inCommon).sort(byImportance);
  if (drawn.length === 0 && !loss && !accuracy) throw nothingCommon(runs, tasks, perTask);
  return { figures: drawn, loss, accuracy, tasks, leftOut: figures.filter((f) => !inCommon(f)) };
}

function nothingCommon(runs: readonly ComparedRun[], tasks: readonly string[], perTask: readonly Set<string>[]): CompareError {
  const described = tasks.map((t, i) => `${t}: ${runs.filter((r) => r.task === t).map((r) => r.dir).join(', ')} (figures: ${[...perTask[i]!].sort().join(', ') || 'none'})`);
  return new CompareError('E_COMPARE_NOTHING_COMMON', `the runs are of ${tasks.length} different tasks and have no figure in common to draw together: ${described.join('; ')}.`, {
    fix: "compare the runs of one task at a time, or name with --metrics what to draw (for example --metrics loss to draw the losses side by side, although they mean different things on different tasks).",
  });
}

/**
 * The charts of a comparison: loss and held-out accuracy, then per figure the mean over layers and
 * each layer, over steps; per group a train line (solid) and a held-out line (dashed) in the group's
 * colour, each the mean over the group's seeds with a band for their spread.
 */
export function compareCharts(groups: readonly RunGroup[], plan: ComparePlan, band: BandKind): string[] {
  const charts: string[] = [];
  const both = (pick: (r: RunRecord) => number | undefined) => groups.flatMap((g) => [groupSeries(g, 'train', pick, band, false), groupSeries(g, 'heldOut', pick, band, true)]);
  const runs = groups.flatMap((g) => g.runs);
  if (plan.loss) charts.push(lineChart({ title: 'loss', series: both((r) => r.loss), yScale: 'auto' }));
  if (plan.accuracy && runs.some((run) => run.records.some((r) => r.split === 'heldOut' && r.accuracy !== undefined))) {
    charts.push(lineChart({ title: 'held-out accuracy', series: groups.map((g) => groupSeries(g, 'heldOut', (r) => r.accuracy, band, false)) }));
  }
  for (const name of plan.figures) {
    const yScale = FLATNESS.test(name) ? 'log' : 'linear';
    const layers = Math.max(0, ...runs.flatMap((run) => run.records.map((r) => r.figures[name]?.perLayer.length ?? 0)));
    charts.push(lineChart({ title: layers > 1 ? `${name} (mean over layers)` : name, series: both((r) => r.figures[name]?.mean), yScale }));
    if (layers > 1) for (let l = 0; l < layers; l++) charts.push(lineChart({ title: `${name}, layer ${l}`, series: both((r) => r.figures[name]?.perLayer[l]), yScale }));
  }
  return charts;
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (!Number.isFinite(v) ? '-' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));

/** The final held-out value of each run, as mean ± sd over the group (or the one value). */
function finalHeld(group: RunGroup, pick: (r: RunRecord) => number | undefined): string {
  const vs = group.runs.map((run) => [...run.records].reverse().find((r) => r.split === 'heldOut' && pick(r) !== undefined)).map((r) => (r === undefined ? Number.NaN : pick(r)!)).filter((v) => Number.isFinite(v));
  if (vs.length === 0) return '-';
  const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
  if (vs.length === 1) return fmt(mean);
  return `${fmt(mean)} ± ${fmt(Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (vs.length - 1)))}`;
}

/** A table of the groups: colour, label, runs, seeds, task, last step, final held-out loss and accuracy. */
export function groupTable(groups: readonly RunGroup[]): string {
  const rows = groups.map((g) => {
    const seeds = g.runs.map((r) => (r.seed === undefined ? '?' : String(r.seed))).join(', ');
    const last = Math.max(...g.runs.map((r) => r.records[r.records.length - 1]?.step ?? 0));
    return `<tr><td><span class="swatch" style="background:${g.color}"></span></td><td>${esc(g.label)}</td><td>${esc(g.differs)}</td><td>${g.runs.length}</td><td>${esc(seeds)}</td><td>${esc([...new Set(g.runs.map((r) => r.task))].join(', '))}</td><td>${last}</td><td>${finalHeld(g, (r) => r.loss)}</td><td>${finalHeld(g, (r) => r.accuracy)}</td><td>${g.runs.map((r) => `<code>${esc(r.dir)}</code>`).join('<br>')}</td></tr>`;
  });
  return `<table><tr><th></th><th>group</th><th>differs in</th><th>runs</th><th>seeds</th><th>task</th><th>last step</th><th>final held-out loss</th><th>final held-out accuracy</th><th>run directories</th></tr>${rows.join('')}</table>`;
}

/**
 * The compare page: one self-contained HTML file (the chart library inlined, no network) with the
 * groups and their charts; without scripts each chart is a static SVG.
 */
export function compareHtml(input: { readonly groups: readonly RunGroup[]; readonly plan: ComparePlan; readonly band: BandKind; readonly command: string; readonly title?: string }): string {
  const { groups, plan, band } = input;
  const charts = compareCharts(groups, plan, band);
  const notes = [
    `Each line is the mean over a group's seeds (runs whose configs differ only in the seed); the band around it is ${band === 'minmax' ? 'the lowest to the highest seed (min..max)' : 'the mean ± one standard deviation over the seeds'}. Solid: train (the minibatch figures, training mode); dashed: held-out (evaluation mode). Flatness figures are on log scales.`,
    ...(plan.tasks.length > 1 ? [`The runs are of ${plan.tasks.length} tasks (${plan.tasks.join('; ')}): only the figures every task has are drawn${plan.loss || plan.accuracy ? '' : ', and not loss or accuracy'}${plan.leftOut.length ? `; left out: ${plan.leftOut.join(', ')}` : ''}.`] : []),
  ];
  const title = input.title ?? `Comparison of ${groups.reduce((n, g) => n + g.runs.length, 0)} runs in ${groups.length} group${groups.length === 1 ? '' : 's'}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}th{background:#f4f4f4}p{max-width:1100px}.charts{display:flex;flex-wrap:wrap;gap:12px}.swatch{display:inline-block;width:14px;height:14px;border-radius:2px}</style>
${chartStyles()}
</head><body>
<h1>${esc(title)}</h1>
<p><code>${esc(input.command)}</code></p>
${groupTable(groups)}
${notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
<div class="charts">${charts.join('\n')}</div>
${chartScripts()}
</body></html>
`;
}
