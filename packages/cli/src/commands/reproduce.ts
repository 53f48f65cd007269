import { ConfigError, writeFileAtomic, type TrainerRecord } from '@flatsparse/core';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../config/load-config.js';
import type { Io } from '../io.js';
import { ARMS } from '../reproduce/arms.js';
import { compareToVanilla, summariseArm, type SeedResult } from '../reproduce/aggregate.js';
import { judgeClaims } from '../reproduce/claims.js';
import { reproductionHtml, taskMarkdown, type TaskResult } from '../reproduce/render.js';
import { TASKS } from '../reproduce/tasks.js';
import { runConfig } from './run.js';

/** Options of `flatsparse reproduce`. */
export interface ReproduceOptions {
  readonly quick: boolean;
  readonly seeds?: number;
  readonly steps?: number;
  readonly tasks?: readonly string[];
  readonly out?: string;
  readonly backend?: string;
  /** Retrain runs that already completed in the output directory (default: reuse their records). */
  readonly fresh?: boolean;
}

/**
 * `flatsparse reproduce [--quick]`: vanilla ReLU vs each method alone vs all three, on the ViT/MNIST
 * and GPT/Moby-Dick tasks, several seeds, the same budget in every arm. Writes every run, a
 * summary.json, reproduction.md (tables and verdicts on the paper's claims) and reproduction.html
 * (with the AS_K, c0 and ratio curves) to the output directory.
 */
export async function reproduceCommand(io: Io, options: ReproduceOptions, argv: readonly string[]): Promise<number> {
  const seeds = Array.from({ length: options.seeds ?? (options.quick ? 1 : 3) }, (_, i) => i);
  const unknown = (options.tasks ?? []).filter((t) => !TASKS.some((task) => task.name === t));
  if (unknown.length > 0) {
    throw new ConfigError('--tasks', `unknown task '${unknown[0]}'.`, { received: unknown, expected: `a comma-separated list of ${TASKS.map((t) => t.name).join(', ')}`, fix: 'use the listed task names.' });
  }
  const tasks = options.tasks ? TASKS.filter((t) => options.tasks!.includes(t.name)) : TASKS;
  const out = options.out ?? join('runs', options.quick ? 'reproduce-quick' : 'reproduce');
  const results: TaskResult[] = [];
  for (const task of tasks) {
    const summaries = [];
    let steps = 0;
    for (const arm of ARMS) {
      const seedResults: SeedResult[] = [];
      for (const seed of seeds) {
        const base = task.config(seed, options.quick);
        const config = parseConfig({ ...arm.apply(base), name: `${task.name}-${slug(arm.name)}-s${seed}`, backend: options.backend ?? 'auto' });
        const runDir = join(out, task.name, slug(arm.name), `seed-${seed}`);
        steps = options.steps ?? config.train.steps;
        const reused = options.fresh ? undefined : await completedRecords(runDir, steps);
        const records = reused ?? (await runConfig(io, config, { out: runDir, steps: options.steps, quiet: true, ...(await reuseOf(runDir, options.fresh)) })).records;
        seedResults.push({ seed, records, runDir });
        const held = [...records].reverse().find((r) => r.split === 'heldOut');
        io.out(`${task.name} | ${arm.name.padEnd(17)} | seed ${seed}${reused ? ' (reused)' : ''} | held-out ${task.quality === 'accuracy' ? `acc ${((held?.accuracy ?? Number.NaN) * 100).toFixed(1)}%` : `loss ${(held?.loss ?? Number.NaN).toFixed(4)}`} | inference act. sparsity ${((held?.figures['activationSparsity.value']?.mean ?? Number.NaN) * 100).toFixed(1)}%`);
      }
      summaries.push(summariseArm(arm.name, seedResults, task.quality));
    }
    const arms = compareToVanilla(summaries, task.quality);
    results.push({ task, arms, claims: judgeClaims(arms, task.quality), seeds, steps });
  }
  const command = `flatsparse ${argv.join(' ')}`;
  const markdown = [`Command: \`${command}\``, '', ...results.map(taskMarkdown)].join('\n');
  await writeFileAtomic(join(out, 'reproduction.md'), `${markdown}\n`);
  await writeFileAtomic(join(out, 'reproduction.html'), reproductionHtml(results, command));
  await writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(results.map((r) => ({ task: r.task.name, seeds: r.seeds, steps: r.steps, arms: r.arms, claims: r.claims })), null, 2)}\n`);
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
