import { CHART_PALETTE, writeFileAtomic } from '@flatsparse/core';
import { join } from 'node:path';
import { compareCharts, planCharts, type RunGroup } from '../compare/compare-page.js';
import { summariseArm, type ArmSummary, type SeedResult, type Stat } from '../reproduce/aggregate.js';
import { judgeClaims } from '../reproduce/claims.js';
import { compareArms, type ArmComparison } from '../reproduce/compare.js';
import { reproductionHtml, taskMarkdown, type TaskResult } from '../reproduce/render.js';
import { runLabel, type PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';
import { armNamed, taskNamed } from './reproduce-preset.js';
import { diskState, readRecords, readResult, type DiskState } from './result-file.js';

/** The tables of one group of runs (the runs sharing every axis but arm and seed). */
export interface CollectedGroup {
  /** The group's axis labels (task, size, ...). */
  readonly labels: Readonly<Record<string, string>>;
  readonly result: TaskResult;
  readonly runs: number;
  readonly done: number;
  /** The finished runs by arm, for the curves of every figure (each arm a line with its seeds as a band). */
  readonly curves: readonly RunGroup[];
}

/** What `collect` found: the tables per group, and the runs that are not done with where they stand. */
export interface Collected {
  readonly groups: readonly CollectedGroup[];
  readonly missing: readonly { readonly run: PlannedRun; readonly state: DiskState }[];
  readonly done: number;
}

/**
 * Aggregates the finished runs of a sweep into the reproduce tables: per group (every axis but arm
 * and seed), one row per arm with mean and spread over the seeds, every arm against the reference arm
 * (the sweep's `reference`, else vanilla under the reproduce preset, else the first arm) paired by
 * seed with Holm's adjustment over the group's comparisons (compareArms, as reproduce and demo do),
 * the per-seed values, and, under the preset, the verdicts on the paper's claims. Runs not done are
 * left out and listed.
 */
export async function collectSweep(sweep: Sweep): Promise<Collected> {
  const preset = sweep.file.preset;
  const grouping = Object.keys(sweep.file.axes).filter((a) => a !== 'arm' && a !== 'seed');
  const armDisplay = (l: string | undefined) => (l === undefined ? 'all' : preset ? armNamed(l, 'axes.arm').name : l);
  const reference = preset ? 'vanilla' : armDisplay(sweep.file.reference ?? sweep.runs[0]?.labels['arm']);
  const groups = new Map<string, PlannedRun[]>();
  for (const run of sweep.runs) {
    const key = grouping.map((a) => run.labels[a]).join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const missing: { run: PlannedRun; state: DiskState }[] = [];
  const out: CollectedGroup[] = [];
  for (const runs of groups.values()) {
    const labels = Object.fromEntries(grouping.map((a) => [a, runs[0]!.labels[a]!]));
    const task = preset ? taskNamed(labels['task']!, 'axes.task') : undefined;
    const finished: { run: PlannedRun; seed: SeedResult }[] = [];
    for (const run of runs) {
      if (await readResult(run)) finished.push({ run, seed: { seed: Number(run.labels['seed'] ?? 0), records: await readRecords(run.runDir), runDir: run.runDir } });
      else missing.push({ run, state: (await diskState(run)).state });
    }
    const firstHeld = finished.flatMap((f) => f.seed.records).find((r) => r.split === 'heldOut');
    const quality = task?.quality ?? sweep.file.quality ?? (firstHeld?.accuracy !== undefined ? 'accuracy' : 'loss');
    const arms = [...new Set(runs.map((r) => r.labels['arm']))];
    const summaries = arms.map((arm) => summariseArm(armDisplay(arm), finished.filter((f) => f.run.labels['arm'] === arm).map((f) => f.seed), quality));
    const comparisons = compareArms(summaries, quality, reference);
    const name = grouping.length === 0 ? sweep.name : grouping.map((a) => labels[a]).join(' · ');
    const curves = arms.map((arm, i) => ({
      label: armDisplay(arm),
      differs: arm === undefined ? '' : `arm=${arm}`,
      color: CHART_PALETTE[i % CHART_PALETTE.length]!,
      runs: finished.filter((f) => f.run.labels['arm'] === arm).map((f) => ({ dir: f.run.runDir, name: f.run.id, seed: f.seed.seed, task: name, records: f.seed.records })),
    })).filter((g) => g.runs.length > 0);
    out.push({
      labels,
      curves,
      runs: runs.length,
      done: finished.length,
      result: {
        task: task ?? { name, description: `${finished.length} of ${runs.length} runs done`, quality },
        recipe: preset?.recipe,
        arms: summaries,
        comparisons,
        claims: preset ? judgeClaims(summaries, comparisons, quality) : [],
        seeds: [...new Set(runs.map((r) => Number(r.labels['seed'] ?? 0)))],
        steps: runs[0]!.config.train.steps,
      },
    });
  }
  return { groups: out, missing, done: sweep.runs.length - missing.length };
}

const csvCell = (v: string | number) => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One CSV row per group and arm: mean and standard deviation over seeds, and the paired comparison with the reference arm (empty for the reference). */
function csv(sweep: Sweep, collected: Collected): string {
  const grouping = Object.keys(sweep.file.axes).filter((a) => a !== 'arm' && a !== 'seed');
  const stats: [string, (a: ArmSummary) => Stat][] = [
    ['quality', (a) => a.quality],
    ['train_activation_sparsity', (a) => a.trainActivationSparsity],
    ['inference_activation_sparsity', (a) => a.inferenceActivationSparsity],
    ['inference_derivative_sparsity', (a) => a.inferenceDerivativeSparsity],
  ];
  const comparison: [string, (c: ArmComparison) => number][] = [
    ['pairs', (c) => c.seeds.length],
    ['density_reduction_mean', (c) => c.densityReduction.mean],
    ['density_reduction_ci_low', (c) => c.densityReduction.ci[0]],
    ['density_reduction_ci_high', (c) => c.densityReduction.ci[1]],
    ['density_reduction_bootstrap_low', (c) => c.densityReduction.bootstrapCi?.[0] ?? Number.NaN],
    ['density_reduction_bootstrap_high', (c) => c.densityReduction.bootstrapCi?.[1] ?? Number.NaN],
    ['p_paired_t', (c) => c.densityReduction.p],
    ['p_holm', (c) => c.densityReduction.pHolm],
    ['p_sign_flip', (c) => c.densityReduction.permutationP ?? Number.NaN],
    ['d_z', (c) => c.densityReduction.dz],
    ['sparsity_difference_mean', (c) => c.sparsityDifference.mean],
    ['sparsity_difference_ci_low', (c) => c.sparsityDifference.ci[0]],
    ['sparsity_difference_ci_high', (c) => c.sparsityDifference.ci[1]],
    ['sparsity_gain', (c) => c.sparsityGain],
    ['train_density_reduction_mean', (c) => c.trainDensityReduction.mean],
    ['quality_change_mean', (c) => c.qualityChange.mean],
    ['power_1_point', (c) => c.power.onePoint],
    ['power_3_points', (c) => c.power.threePoints],
  ];
  const header = [...grouping, 'arm', 'seeds_done', 'quality_measure', ...stats.flatMap(([n]) => [`${n}_mean`, `${n}_std`]), ...comparison.map(([n]) => n), 'verdict'];
  const rows = collected.groups.flatMap((g) =>
    g.result.arms.map((a) => {
      const c = g.result.comparisons.find((x) => x.arm === a.arm);
      return [
        ...grouping.map((k) => g.labels[k]!),
        a.arm,
        a.quality.n,
        g.result.task.quality,
        ...stats.flatMap(([, f]) => [f(a).mean, f(a).std]),
        ...comparison.map(([, f]) => (c ? f(c) : Number.NaN)),
        c?.verdict ?? '',
      ];
    }),
  );
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

/** What is not done yet, one line per run. */
export function missingLines(collected: Collected): string[] {
  return collected.missing.map(({ run, state }) => `- run ${run.index} (${run.id}) ${runLabel(run)}: ${state === 'interrupted' ? 'not done (resumable from its checkpoint)' : state}`);
}

/** Writes results.md, results.csv, results.json and results.html to the sweep's folder; returns the Markdown. */
export async function writeCollected(sweep: Sweep, collected: Collected, command: string): Promise<string> {
  const total = sweep.runs.length;
  const status = collected.missing.length === 0 ? `All ${total} runs done.` : `${collected.done} of ${total} runs done; not in the tables:\n\n${missingLines(collected).join('\n')}`;
  const markdown = [`Sweep \`${sweep.name}\` (${sweep.path}). ${status}`, '', ...collected.groups.map((g) => taskMarkdown(g.result))].join('\n');
  const json = {
    sweep: sweep.name,
    runs: total,
    done: collected.done,
    missing: collected.missing.map(({ run, state }) => ({ index: run.index, id: run.id, labels: run.labels, state })),
    groups: collected.groups.map((g) => ({ labels: g.labels, runs: g.runs, done: g.done, quality: g.result.task.quality, seeds: g.result.seeds, steps: g.result.steps, arms: g.result.arms, comparisons: g.result.comparisons, claims: g.result.claims })),
  };
  const notes = `<p>${status.split('\n')[0]}</p>${collected.missing.length === 0 ? '' : `<ul>${missingLines(collected).map((l) => `<li>${l.slice(2)}</li>`).join('')}</ul>`}`;
  await writeFileAtomic(join(sweep.out, 'results.md'), `${markdown}\n`);
  await writeFileAtomic(join(sweep.out, 'results.csv'), csv(sweep, collected));
  await writeFileAtomic(join(sweep.out, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFileAtomic(join(sweep.out, 'results.html'), reproductionHtml(collected.groups.map((g) => g.result), command, `Sweep ${sweep.name}`, notes, collected.groups.map(everyCurve)));
  return markdown;
}

/** A group's curves of every figure (loss, accuracy, each figure per layer), each arm a line with its seeds' min..max as a band; folded away. */
function everyCurve(group: CollectedGroup): string {
  const runs = group.curves.flatMap((g) => g.runs);
  if (runs.length === 0) return '';
  const charts = compareCharts(group.curves, planCharts(runs), 'minmax');
  return `<details><summary>Every curve: loss, accuracy and each figure (mean over layers and per layer), train (solid) and held-out (dashed); each arm is the mean over its seeds, with a band from the lowest to the highest seed</summary><div class="charts">${charts.join('\n')}</div></details>`;
}
