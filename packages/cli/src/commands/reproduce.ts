import { writeFileAtomic } from '@flatsparse/core';
import { ConfigError } from '@flatsparse/plugin-api';
import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { ARMS } from '../reproduce/arms.js';
import { reproductionHtml, taskMarkdown } from '../reproduce/render.js';
import { RECIPES, TASKS, type Recipe } from '../reproduce/tasks.js';
import { collectSweep } from '../sweep/collect.js';
import { localEngine, taskLog } from '../sweep/engine-local.js';
import { executeRun } from '../sweep/execute-run.js';
import type { PlannedRun } from '../sweep/expand.js';
import { loadSweep, type Sweep } from '../sweep/load-sweep.js';
import { readRecords, readResult } from '../sweep/result-file.js';
import type { TrainerRecord } from '@flatsparse/core';
import { armNamed, slug, taskNamed } from '../sweep/reproduce-preset.js';
import { interruptOn, SIGNAL_EXIT } from '../signals.js';

/** The sweep file `flatsparse reproduce` runs (shipped with the package: packages/cli/sweeps/reproduce.yaml). */
export const REPRODUCE_SWEEP = fileURLToPath(new URL('../../sweeps/reproduce.yaml', import.meta.url));

/** Options of `flatsparse reproduce`. */
export interface ReproduceOptions {
  readonly quick: boolean;
  readonly seeds?: number;
  readonly steps?: number;
  readonly tasks?: readonly string[];
  /** Arms to run (default: all); vanilla is always run, as the reference. */
  readonly arms?: readonly string[];
  /** 'authors' (default) or 'short' (flatsparse 0.2's recipe, for comparison). */
  readonly recipe?: Recipe;
  /** Ramp the JSReLU mix and the LayerNorm bound over this many steps, or this fraction of the run when below 1 (default: none, as the authors' from-scratch runs). */
  readonly ramp?: number;
  readonly out?: string;
  readonly backend?: string;
  /** Retrain runs that already completed in the output directory (default: reuse their records). */
  readonly fresh?: boolean;
  /**
   * Runs trained at once, each a child process with its share of the cores (FLATSPARSE_NATIVE_THREADS =
   * cores / jobs unless set). Default: 1 with --quick, else the number of cores (at most 8): on 2 cores
   * two one-thread runs train about 1.35x faster than one two-thread run at these model sizes (two
   * 300-step ViT runs at once: 12.2 s; one after the other with two threads each: 16.6 s).
   */
  readonly jobs?: number;
}

/** The default of --jobs (see ReproduceOptions.jobs). */
export function defaultJobs(quick: boolean): number {
  return quick ? 1 : Math.max(1, Math.min(8, availableParallelism()));
}

/** The line a finished run prints. */
function runLine(run: PlannedRun, outcome: string, records: readonly TrainerRecord[]): string {
  const task = taskNamed(run.labels['task']!, 'axes.task');
  const held = [...records].reverse().find((r) => r.split === 'heldOut');
  return `${task.name} | ${armNamed(run.labels['arm']!, 'axes.arm').name.padEnd(17)} | seed ${run.labels['seed']}${outcome === 'reused' ? ' (reused)' : ''} | held-out ${task.quality === 'accuracy' ? `acc ${((held?.accuracy ?? Number.NaN) * 100).toFixed(1)}%` : `loss ${(held?.loss ?? Number.NaN).toFixed(4)}`} | inference act. sparsity ${((held?.figures['activation-sparsity.value']?.mean ?? Number.NaN) * 100).toFixed(1)}%`;
}

/**
 * Trains the runs not yet done `jobs` at a time through the local sweep engine: the edited sweep is
 * written to <out>/.sweep/reproduce.json (the children read it: same runs, same ids), each run a
 * `flatsparse sweep run-task` child with its log under <out>/.sweep/logs/. Returns the exit code.
 */
async function trainInParallel(io: Io, sweep: Sweep, jobs: number, options: ReproduceOptions, argv: readonly string[]): Promise<number> {
  const file = join(sweep.out, '.sweep', 'reproduce.json');
  await writeFileAtomic(file, `${JSON.stringify(sweep.file, null, 2)}\n`);
  const backend = options.backend ?? 'auto';
  const edited = await loadSweep(file, { out: sweep.out, backend });
  const todo: PlannedRun[] = [];
  for (const run of edited.runs) {
    if (options.fresh) await rm(run.runDir, { recursive: true, force: true });
    else if (await readResult(run)) {
      io.out(runLine(run, 'reused', await readRecords(run.runDir)));
      continue;
    }
    todo.push(run);
  }
  if (todo.length === 0) return 0;
  io.err(`reproduce: training ${todo.length} runs, ${jobs} at a time (logs: ${join(sweep.out, '.sweep', 'logs')})`);
  const code = await localEngine.submit(io, edited, todo, { jobs, backend });
  if (code === 143) {
    io.err(`flatsparse: interrupted: the runs in progress stopped with a checkpoint.`);
    io.err(`continue with: flatsparse ${argv.join(' ')} (completed runs are reused, the others resume from their checkpoints)`);
    return code;
  }
  const failed: string[] = [];
  for (const run of todo) {
    if (await readResult(run)) io.out(runLine(run, 'done', await readRecords(run.runDir)));
    else failed.push(`${run.runDir} (log: ${taskLog(edited, run)})`);
  }
  if (failed.length > 0) {
    io.err(`flatsparse: ${failed.length} of ${edited.runs.length} runs failed:\n  ${failed.join('\n  ')}\nfix what the logs say and run the same command again (completed runs are reused).`);
    return 1;
  }
  return code;
}

/**
 * `flatsparse reproduce [--quick]`: vanilla ReLU vs each method alone vs all three, on the ViT/MNIST
 * and GPT/Moby-Dick tasks, several seeds, the same budget in every arm, under the authors' recipe (or
 * `--recipe short`). Writes every run, a summary.json, reproduction.md (figures, diagnostics and
 * verdicts on the paper's claims: paired tests over the seeds with Holm's adjustment, trends over the
 * whole run) and reproduction.html (sparsity against steps per arm, the diagnostics, AS_K, both c0 and
 * their ratio) to the output directory.
 */
export async function reproduceCommand(io: Io, options: ReproduceOptions, argv: readonly string[]): Promise<number> {
  // Without --seeds (and --quick) the sweep file's seeds and exclusions hold (10 seeds for the
  // confirmatory arms, 3 for the exploratory ones); --seeds n gives every arm seeds 0..n-1.
  const seedCount = options.seeds ?? (options.quick ? 1 : undefined);
  const seeds = seedCount === undefined ? undefined : Array.from({ length: seedCount }, (_, i) => i);
  for (const t of options.tasks ?? []) taskNamed(t, '--tasks');
  const recipe = options.recipe ?? 'authors';
  if (!RECIPES.includes(recipe)) throw new ConfigError('--recipe', `unknown recipe '${recipe}'.`, { received: recipe, expected: RECIPES.join(' or '), fix: "use 'authors' (the default) or 'short'." });
  for (const a of options.arms ?? []) armNamed(a, '--arms');
  if (options.ramp !== undefined && !(options.ramp > 0)) throw new ConfigError('--ramp', 'the ramp must be positive.', { received: options.ramp, expected: 'a number of steps, or a fraction of the run below 1', fix: 'for example --ramp 0.1 (a tenth of the run) or --ramp 300.' });
  const arms = ARMS.filter((a) => a.name === 'vanilla' || options.arms === undefined || options.arms.some((x) => slug(x) === slug(a.name)));
  const tasks = options.tasks ? TASKS.filter((t) => options.tasks!.includes(t.name)) : TASKS;
  const out = options.out ?? join('runs', `reproduce${recipe === 'short' ? '-short' : ''}${options.quick ? '-quick' : ''}`);
  // The shipped sweep file, its preset and axes edited by the flags: the same expansion, run ids and result files as `flatsparse sweep`.
  const sweep = await loadSweep(REPRODUCE_SWEEP, {
    out,
    backend: options.backend ?? 'auto',
    edit: (file) => ({
      ...file,
      preset: { ...(file['preset'] as object), recipe, quick: options.quick, ...(options.steps === undefined ? {} : { steps: options.steps }), ...(options.ramp === undefined ? {} : { ramp: options.ramp }) },
      axes: { task: tasks.map((t) => t.name), arm: arms.map((a) => slug(a.name)), seed: seeds ?? (file['axes'] as Record<string, unknown>)['seed'] },
      ...(seeds === undefined ? {} : { exclude: [] }),
    }),
  });
  const jobs = options.jobs ?? defaultJobs(options.quick);
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new ConfigError('--jobs', 'the number of runs trained at once must be a positive integer.', { received: jobs, fix: `for example --jobs ${defaultJobs(false)} (this machine's cores).` });
  if (jobs > 1 && sweep.runs.length > 1) {
    const code = await trainInParallel(io, sweep, jobs, options, argv);
    if (code !== 0) return code;
  } else {
    // SIGINT / SIGTERM stop the run in progress after its current step with a checkpoint; running the
    // same command again reuses the completed runs and resumes that one.
    const interrupt = interruptOn(io);
    try {
      for (const run of sweep.runs) {
        const { outcome, records, stopped } = await executeRun(io, sweep, run, { fresh: options.fresh, quiet: true, signal: interrupt.signal });
        const received = interrupt.received();
        if (outcome === 'interrupted' && received !== undefined) {
          io.err(`flatsparse: interrupted by ${received}: ${run.runDir} stopped after ${stopped?.steps ?? '?'} of ${run.config.train.steps} steps${stopped?.checkpoint ? ` (checkpoint ${stopped.checkpoint})` : ''}.`);
          io.err(`continue with: flatsparse ${argv.join(' ')} (completed runs are reused, this one resumes from its checkpoint)`);
          return SIGNAL_EXIT[received];
        }
        io.out(runLine(run, outcome, records));
      }
    } finally {
      interrupt.dispose();
    }
  }
  const results = (await collectSweep(sweep)).groups.map((g) => g.result);
  const command = `flatsparse ${argv.join(' ')}`;
  const markdown = [`Command: \`${command}\``, '', ...results.map(taskMarkdown)].join('\n');
  await writeFileAtomic(join(out, 'reproduction.md'), `${markdown}\n`);
  await writeFileAtomic(join(out, 'reproduction.html'), reproductionHtml(results, command));
  await writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(results.map((r) => ({ task: r.task.name, recipe: r.recipe, ramp: options.ramp ?? null, seeds: r.seeds, steps: r.steps, arms: r.arms, comparisons: r.comparisons, claims: r.claims })), null, 2)}\n`);
  io.out('');
  io.out(markdown);
  io.out(`\nwritten: ${join(out, 'reproduction.md')}, ${join(out, 'reproduction.html')}, ${join(out, 'summary.json')}`);
  return 0;
}
