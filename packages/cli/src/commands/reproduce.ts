import { writeFileAtomic } from '@flatsparse/core';
import { ConfigError } from '@flatsparse/plugin-api';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { ARMS } from '../reproduce/arms.js';
import { reproductionHtml, taskMarkdown } from '../reproduce/render.js';
import { RECIPES, TASKS, type Recipe } from '../reproduce/tasks.js';
import { collectSweep } from '../sweep/collect.js';
import { executeRun } from '../sweep/execute-run.js';
import { loadSweep } from '../sweep/load-sweep.js';
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
}

/**
 * `flatsparse reproduce [--quick]`: vanilla ReLU vs each method alone vs all three, on the ViT/MNIST
 * and GPT/Moby-Dick tasks, several seeds, the same budget in every arm, under the authors' recipe (or
 * `--recipe short`). Writes every run, a summary.json, reproduction.md (figures, diagnostics and
 * verdicts on the paper's claims with Welch tests over the seeds) and reproduction.html (sparsity
 * against steps per arm, the diagnostics, AS_K, c0 and their ratio) to the output directory.
 */
export async function reproduceCommand(io: Io, options: ReproduceOptions, argv: readonly string[]): Promise<number> {
  const seeds = Array.from({ length: options.seeds ?? (options.quick ? 1 : 3) }, (_, i) => i);
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
      axes: { task: tasks.map((t) => t.name), arm: arms.map((a) => slug(a.name)), seed: seeds },
    }),
  });
  // SIGINT / SIGTERM stop the run in progress after its current step with a checkpoint; running the
  // same command again reuses the completed runs and resumes that one.
  const interrupt = interruptOn(io);
  try {
    for (const run of sweep.runs) {
      const task = taskNamed(run.labels['task']!, 'axes.task');
      const { outcome, records, stopped } = await executeRun(io, sweep, run, { fresh: options.fresh, quiet: true, signal: interrupt.signal });
      const received = interrupt.received();
      if (outcome === 'interrupted' && received !== undefined) {
        io.err(`flatsparse: interrupted by ${received}: ${run.runDir} stopped after ${stopped?.steps ?? '?'} of ${run.config.train.steps} steps${stopped?.checkpoint ? ` (checkpoint ${stopped.checkpoint})` : ''}.`);
        io.err(`continue with: flatsparse ${argv.join(' ')} (completed runs are reused, this one resumes from its checkpoint)`);
        return SIGNAL_EXIT[received];
      }
      const held = [...records].reverse().find((r) => r.split === 'heldOut');
      io.out(`${task.name} | ${armNamed(run.labels['arm']!, 'axes.arm').name.padEnd(17)} | seed ${run.labels['seed']}${outcome === 'reused' ? ' (reused)' : ''} | held-out ${task.quality === 'accuracy' ? `acc ${((held?.accuracy ?? Number.NaN) * 100).toFixed(1)}%` : `loss ${(held?.loss ?? Number.NaN).toFixed(4)}`} | inference act. sparsity ${((held?.figures['activationSparsity.value']?.mean ?? Number.NaN) * 100).toFixed(1)}%`);
    }
  } finally {
    interrupt.dispose();
  }
  const results = (await collectSweep(sweep)).groups.map((g) => g.result);
  const command = `flatsparse ${argv.join(' ')}`;
  const markdown = [`Command: \`${command}\``, '', ...results.map(taskMarkdown)].join('\n');
  await writeFileAtomic(join(out, 'reproduction.md'), `${markdown}\n`);
  await writeFileAtomic(join(out, 'reproduction.html'), reproductionHtml(results, command));
  await writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(results.map((r) => ({ task: r.task.name, recipe: r.recipe, ramp: options.ramp ?? null, seeds: r.seeds, steps: r.steps, arms: r.arms, claims: r.claims })), null, 2)}\n`);
  io.out('');
  io.out(markdown);
  io.out(`\nwritten: ${join(out, 'reproduction.md')}, ${join(out, 'reproduction.html')}, ${join(out, 'summary.json')}`);
  return 0;
}
