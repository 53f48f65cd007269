import { writeFileAtomic, type TrainerRecord } from '@flatsparse/core';
import { ConfigError } from '@flatsparse/plugin-api';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../config/load-config.js';
import type { Io } from '../io.js';
import { ARMS, type Ramps } from '../reproduce/arms.js';
import { compareToVanilla, summariseArm, type SeedResult } from '../reproduce/aggregate.js';
import { judgeClaims } from '../reproduce/claims.js';
import { reproductionHtml, taskMarkdown, type TaskResult } from '../reproduce/render.js';
import { RECIPES, TASKS, type Recipe } from '../reproduce/tasks.js';
import { interruptOn, SIGNAL_EXIT } from '../signals.js';
import { runConfig } from './run.js';

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
  const unknown = (options.tasks ?? []).filter((t) => !TASKS.some((task) => task.name === t));
  if (unknown.length > 0) {
    throw new ConfigError('--tasks', `unknown task '${unknown[0]}'.`, { received: unknown, expected: `a comma-separated list of ${TASKS.map((t) => t.name).join(', ')}`, fix: 'use the listed task names.' });
  }
  const recipe = options.recipe ?? 'authors';
  if (!RECIPES.includes(recipe)) throw new ConfigError('--recipe', `unknown recipe '${recipe}'.`, { received: recipe, expected: RECIPES.join(' or '), fix: "use 'authors' (the default) or 'short'." });
  const unknownArms = (options.arms ?? []).filter((a) => !ARMS.some((arm) => slug(arm.name) === slug(a)));
  if (unknownArms.length > 0) {
    throw new ConfigError('--arms', `unknown arm '${unknownArms[0]}'.`, { received: unknownArms, expected: `a comma-separated list of ${ARMS.map((a) => slug(a.name)).join(', ')}`, fix: 'use the listed arm names (vanilla always runs).' });
  }
  if (options.ramp !== undefined && !(options.ramp > 0)) throw new ConfigError('--ramp', 'the ramp must be positive.', { received: options.ramp, expected: 'a number of steps, or a fraction of the run below 1', fix: 'for example --ramp 0.1 (a tenth of the run) or --ramp 300.' });
  const arms = ARMS.filter((a) => a.name === 'vanilla' || options.arms === undefined || options.arms.some((x) => slug(x) === slug(a.name)));
  const tasks = options.tasks ? TASKS.filter((t) => options.tasks!.includes(t.name)) : TASKS;
  const out = options.out ?? join('runs', `reproduce${recipe === 'short' ? '-short' : ''}${options.quick ? '-quick' : ''}`);
  const results: TaskResult[] = [];
  // SIGINT / SIGTERM stop the run in progress after its current step with a checkpoint; running the
  // same command again reuses the completed runs and resumes that one.
  const interrupt = interruptOn(io);
  try {
    for (const task of tasks) {
      const summaries = [];
      let steps = 0;
      for (const arm of arms) {
        const seedResults: SeedResult[] = [];
        for (const seed of seeds) {
          const base = task.config(seed, { quick: options.quick, recipe });
          const runSteps = options.steps ?? (base.train?.steps as number);
          const ramps = rampsFor(options.ramp, runSteps);
          const config = parseConfig({ ...arm.apply(base, ramps), name: `${task.name}-${slug(arm.name)}-s${seed}`, backend: options.backend ?? 'auto' });
          const runDir = join(out, task.name, slug(arm.name), `seed-${seed}`);
          steps = options.steps ?? config.train.steps;
          const reused = options.fresh ? undefined : await completedRecords(runDir, steps);
          const ran = reused === undefined ? await runConfig(io, config, { out: runDir, steps: options.steps, quiet: true, signal: interrupt.signal, ...(await reuseOf(runDir, options.fresh)) }) : undefined;
          const received = interrupt.received();
          if (ran !== undefined && received !== undefined && ran.summary.stoppedEarly) {
            io.err(`flatsparse: interrupted by ${received}: ${runDir} stopped after ${ran.summary.steps} of ${steps} steps${ran.summary.checkpoints.at(-1) ? ` (checkpoint ${ran.summary.checkpoints.at(-1)})` : ''}.`);
            io.err(`continue with: flatsparse ${argv.join(' ')} (completed runs are reused, this one resumes from its checkpoint)`);
            return SIGNAL_EXIT[received];
          }
          const records = reused ?? ran!.records;
          seedResults.push({ seed, records, runDir });
          const held = [...records].reverse().find((r) => r.split === 'heldOut');
          io.out(`${task.name} | ${arm.name.padEnd(17)} | seed ${seed}${reused ? ' (reused)' : ''} | held-out ${task.quality === 'accuracy' ? `acc ${((held?.accuracy ?? Number.NaN) * 100).toFixed(1)}%` : `loss ${(held?.loss ?? Number.NaN).toFixed(4)}`} | inference act. sparsity ${((held?.figures['activationSparsity.value']?.mean ?? Number.NaN) * 100).toFixed(1)}%`);
        }
        summaries.push(summariseArm(arm.name, seedResults, task.quality));
      }
      const compared = compareToVanilla(summaries, task.quality);
      results.push({ task, recipe, arms: compared, claims: judgeClaims(compared, task.quality), seeds, steps });
    }
  } finally {
    interrupt.dispose();
  }
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

/**
 * The records of a run that already completed `steps` steps in `runDir` (its metrics.jsonl ends with
 * the final held-out evaluation), so an interrupted reproduction continues where it stopped.
 */
async function completedRecords(runDir: string, steps: number): Promise<TrainerRecord[] | undefined> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const records = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainerRecord);
  const last = records[records.length - 1];
  return last?.split === 'heldOut' && last.step === steps - 1 ? records : undefined;
}

/** The methods' ramps in steps: `ramp` steps, or that fraction of the run when below 1; none without it. */
function rampsFor(ramp: number | undefined, steps: number): Ramps | undefined {
  if (ramp === undefined) return undefined;
  const length = Math.max(1, Math.round(ramp < 1 ? ramp * steps : ramp));
  return { mixSteps: length, upliftSteps: length };
}

/**
 * What to do with a run already in `runDir` that cannot be reused: resume it when it is unfinished
 * (interrupted, or killed while running), replace it otherwise (--fresh, a failed run, another budget).
 */
async function reuseOf(runDir: string, fresh: boolean | undefined): Promise<{ resume?: string; overwrite?: boolean }> {
  if (fresh) return { overwrite: true };
  const text = await readFile(join(runDir, 'run.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return existsSync(join(runDir, 'config.json')) ? { resume: runDir } : { overwrite: true };
  const status = (JSON.parse(text) as { status?: string }).status;
  return status === 'interrupted' || status === 'running' ? { resume: runDir } : { overwrite: true };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
