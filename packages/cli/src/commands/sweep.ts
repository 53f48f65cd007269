import { writeFileAtomic } from '@flatsparse/core';
import { ConfigError, FlatsparseError } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Io } from '../io.js';
import { interruptOn, SIGNAL_EXIT } from '../signals.js';
import { collectSweep, missingLines, writeCollected } from '../sweep/collect.js';
import { ENGINES, type EngineName, type LiveState, type SubmitSettings, type SweepEngine } from '../sweep/engine.js';
import { localEngine } from '../sweep/engine-local.js';
import { executeRun } from '../sweep/execute-run.js';
import { runLabel, type PlannedRun } from '../sweep/expand.js';
import { loadSweep, type Sweep } from '../sweep/load-sweep.js';
import { diskState, writeFailure, type DiskState } from '../sweep/result-file.js';
import { SweepTaskError } from '../sweep/sweep-errors.js';
import { formatTable as table } from '../table.js';

/** run-task's exit code when another live process owns the run (EX_TEMPFAIL: try again later). */
export const LOCKED_EXIT = 75;

/** Options of the `sweep` subcommands. */
export interface SweepOptions extends SubmitSettings {
  readonly engine?: string;
  readonly out?: string;
  /** run-task: the run id the submission saw (refused if the sweep file changed since). */
  readonly expectId?: string;
}

/** The engine a sweep's last submission used (.sweep/engine.json), with its settings. */
interface EngineRecord {
  readonly engine: EngineName;
  readonly redis?: string;
}

async function engineNamed(name: string): Promise<SweepEngine> {
  if (name === 'local') return localEngine;
  if (name === 'slurm') return (await import('../sweep/engine-slurm.js')).slurmEngine;
  if (name === 'bullmq') return (await import('../sweep/engine-bullmq.js')).bullmqEngine;
  throw new ConfigError('--engine', `unknown engine '${name}'.`, { received: name, expected: ENGINES.join(', '), fix: 'pass --engine local (default), slurm or bullmq.' });
}

async function recordedEngine(sweep: Sweep): Promise<EngineRecord | undefined> {
  const text = await readFile(join(sweep.out, '.sweep', 'engine.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as EngineRecord);
}

/** Where each run stands: its directory, corrected by the scheduler (queued or running there, failed there). */
async function states(sweep: Sweep, engine: SweepEngine | undefined, settings: SubmitSettings): Promise<{ run: PlannedRun; state: DiskState | LiveState; step?: number }[]> {
  const live = engine?.liveStates ? await engine.liveStates(sweep, settings) : new Map<number, LiveState>();
  return Promise.all(
    sweep.runs.map(async (run) => {
      const disk = await diskState(run);
      const l = live.get(run.index);
      // A run the scheduler does not list as queued or running is not running, whatever a killed run's run.json says.
      const stale = disk.state === 'running' && engine?.liveStates !== undefined;
      const state = disk.state === 'done' ? 'done' : l === 'pending' || l === 'running' ? l : l === 'failed' ? 'failed' : stale ? 'interrupted' : disk.state;
      return { run, state, step: disk.step };
    }),
  );
}

/**
 * The engine and settings of a command (--engine, else the recorded one for status and resume, else
 * local) and the engine whose scheduler says what is queued or running: the last submission's, so that
 * a local submission never restarts runs a Slurm array or a worker is running.
 */
async function chosenEngine(sweep: Sweep, options: SweepOptions, recorded: boolean): Promise<{ engine: SweepEngine; live: SweepEngine; settings: SubmitSettings }> {
  const record = await recordedEngine(sweep);
  const engine = await engineNamed(options.engine ?? (recorded ? record?.engine : undefined) ?? 'local');
  const live = record === undefined || record.engine === engine.name ? engine : await engineNamed(record.engine);
  return { engine, live, settings: { ...options, redis: options.redis ?? record?.redis } };
}

/**
 * `flatsparse sweep <subcommand> <sweep.yaml>`: plan (print the runs), submit (start the runs that are
 * not done: skips those with a result file, resumes those with a checkpoint, reruns failed ones),
 * resume (the same on the engine the sweep was submitted to: exactly the missing and failed runs),
 * status, collect, and run-task (one run; what every engine starts).
 */
export async function sweepCommand(io: Io, subcommand: string, path: string, rest: readonly string[], options: SweepOptions, argv: readonly string[]): Promise<number> {
  const sweep = await loadSweep(path, { out: options.out, backend: options.backend });
  switch (subcommand) {
    case 'plan': {
      io.out(`sweep ${sweep.name}: ${sweep.runs.length} runs in ${sweep.out}`);
      io.out(table(['index', 'id', ...Object.keys(sweep.file.axes), 'state', 'directory'], await Promise.all(sweep.runs.map(async (r) => [String(r.index), r.id, ...Object.values(r.labels), (await diskState(r)).state, r.runDir]))));
      return 0;
    }
    case 'submit':
    case 'resume': {
      const { engine, live, settings } = await chosenEngine(sweep, options, subcommand === 'resume');
      const now = await states(sweep, live, settings);
      // Without a scheduler nothing else runs the sweep's runs: one marked running was killed, and is resumed.
      const busy = (s: { state: string }) => s.state === 'pending' || (s.state === 'running' && live.liveStates !== undefined);
      const todo = now.filter((s) => s.state !== 'done' && !busy(s)).map((s) => s.run);
      io.err(`sweep ${sweep.name}: ${sweep.runs.length} runs, ${now.filter((s) => s.state === 'done').length} done${now.some(busy) ? `, ${now.filter(busy).length} queued or running` : ''}; starting ${todo.length} on ${engine.name}${todo.length ? `: ${todo.map((r) => r.index).join(', ')}` : ''}`);
      await writeFileAtomic(join(sweep.out, '.sweep', 'engine.json'), `${JSON.stringify({ engine: engine.name, ...(settings.redis ? { redis: settings.redis } : {}) }, null, 2)}\n`);
      const code = todo.length === 0 ? 0 : await engine.submit(io, sweep, todo, settings);
      if (engine.name !== 'local' || code === 143) return code;
      const collected = await collectSweep(sweep);
      io.out(await writeCollected(sweep, collected, `flatsparse ${argv.join(' ')}`));
      io.out(`written: ${['results.md', 'results.csv', 'results.json', 'results.html'].map((f) => join(sweep.out, f)).join(', ')}`);
      return code;
    }
    case 'status': {
      const { engine, live, settings } = await chosenEngine(sweep, options, true);
      const now = await states(sweep, live, settings);
      io.out(table(['index', 'id', ...Object.keys(sweep.file.axes), 'state', 'step'], now.map((s) => [String(s.run.index), s.run.id, ...Object.values(s.run.labels), s.state === 'interrupted' ? 'missing (checkpoint)' : s.state, s.step === undefined ? '-' : String(s.step)])));
      const count = (k: string) => now.filter((s) => s.state === k || (k === 'missing' && s.state === 'interrupted')).length;
      io.out(`\n${sweep.runs.length} runs: ${['done', 'running', 'pending', 'failed', 'missing'].map((k) => `${count(k)} ${k}`).join(', ')}${engine.name === 'local' ? '' : ` (engine ${engine.name})`}`);
      return 0;
    }
    case 'collect': {
      const collected = await collectSweep(sweep);
      io.out(await writeCollected(sweep, collected, `flatsparse ${argv.join(' ')}`));
      if (collected.missing.length > 0) io.err(`sweep ${sweep.name}: ${collected.missing.length} of ${sweep.runs.length} runs are not done:\n${missingLines(collected).join('\n')}\n(flatsparse sweep resume ${sweep.path} starts them)`);
      io.out(`written: ${['results.md', 'results.csv', 'results.json', 'results.html'].map((f) => join(sweep.out, f)).join(', ')}`);
      return 0;
    }
    case 'run-task':
      return runTask(io, sweep, rest[0], options.expectId);
    default:
      throw new ConfigError('sweep', `unknown subcommand '${subcommand}'.`, { received: subcommand, expected: 'plan, submit, resume, status, collect or run-task', fix: 'for example: flatsparse sweep plan sweep.yaml' });
  }
}

/**
 * `flatsparse sweep run-task <sweep> <index>`: runs one run in this process (what every engine starts).
 * SIGTERM or SIGINT stop it with a checkpoint (exit 143 / 130); so does the end of the IPC channel of
 * the local sweep or BullMQ worker that started it, when that process dies. Another live process on the
 * same run: exit 75 (LOCKED_EXIT), nothing written. A failure writes the run's failure marker and exits 1.
 */
async function runTask(io: Io, sweep: Sweep, indexText: string | undefined, expectId: string | undefined): Promise<number> {
  const index = Number(indexText);
  const run = Number.isInteger(index) ? sweep.runs[index] : undefined;
  if (run === undefined) throw new ConfigError('run-task', `no run ${indexText ?? '(none given)'} in sweep ${sweep.name}.`, { received: indexText, expected: `an index from 0 to ${sweep.runs.length - 1}`, fix: `see flatsparse sweep plan ${sweep.path}.` });
  if (expectId !== undefined && expectId !== run.id) throw new SweepTaskError(sweep.path, index, expectId, run.id);
  const interrupt = interruptOn(io);
  const controller = new AbortController();
  interrupt.signal.addEventListener('abort', () => controller.abort(), { once: true });
  const orphaned = () => {
    io.err('flatsparse: the sweep or worker that started this task is gone: stopping with a checkpoint.');
    controller.abort();
  };
  process.once('disconnect', orphaned);
  io.err(`run ${run.index} (${run.id}) of sweep ${sweep.name}: ${runLabel(run)} -> ${run.runDir}`);
  try {
    const { outcome } = await executeRun(io, sweep, run, { signal: controller.signal, quiet: true });
    if (outcome === 'interrupted') {
      io.err(`run ${run.index} interrupted with a checkpoint; the next submission resumes it.`);
      return SIGNAL_EXIT[interrupt.received() ?? 'SIGTERM'];
    }
    io.err(`run ${run.index} (${run.id}) ${outcome === 'reused' ? 'was already done' : 'done'}: ${run.runDir}`);
    return 0;
  } catch (err) {
    // Refused because another live process writes the run: its directory is that process's, not ours to mark.
    if (err instanceof FlatsparseError && (err.code === 'E_RUN_LOCKED' || err.code === 'E_RUN_LOCK_LOST')) {
      io.err(`flatsparse: run ${run.index} (${run.id}) not started: ${err.message}`);
      return LOCKED_EXIT;
    }
    await writeFailure(run, err instanceof Error ? err.message : String(err), 1).catch(() => undefined);
    io.err(`flatsparse: run ${run.index} (${run.id}) failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    interrupt.dispose();
    process.off('disconnect', orphaned);
    if (process.connected) process.disconnect();
  }
}
