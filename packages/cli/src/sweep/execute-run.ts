import { acquireRunLock, type RunLock, type TrainerRecord } from '@flatsparse/core';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runConfig } from '../commands/run.js';
import type { Io } from '../io.js';
import type { PlannedRun } from './expand.js';
import type { Sweep } from './load-sweep.js';
import { FAILURE_FILE, readRecords, readResult, RESULT_FILE, runStatus, writeResult } from './result-file.js';

/** What running one run of a sweep came to. */
export interface ExecutedRun {
  /** 'done' (ran to the end now), 'reused' (its result file was there), 'interrupted' (stopped with a checkpoint). */
  readonly outcome: 'done' | 'reused' | 'interrupted';
  readonly records: readonly TrainerRecord[];
  /** When interrupted: the steps it completed and the checkpoint it left. */
  readonly stopped?: { readonly steps: number; readonly checkpoint?: string };
}

/** How to run it. */
export interface ExecuteOptions {
  /** Retrain it even where it completed (its directory is replaced). */
  readonly fresh?: boolean;
  readonly quiet?: boolean;
  /** Stops it after the current step, with a checkpoint. */
  readonly signal?: AbortSignal;
  /** Prefix of its progress lines. */
  readonly label?: string;
  /**
   * How long to wait for another live process writing the run directory (an orphaned task of a killed
   * sweep finishing its step, a Slurm job on a lost node whose lock goes stale) before refusing with
   * E_RUN_LOCKED; default FLATSPARSE_LOCK_WAIT_S or 600 s.
   */
  readonly lockWaitMs?: number;
}

function lockWait(): number {
  const env = Number(process.env['FLATSPARSE_LOCK_WAIT_S']);
  return Number.isFinite(env) && env >= 0 ? env * 1000 : 600_000;
}

/** Whether the records end with the closing held-out evaluation of a run of `steps` steps. */
function complete(records: readonly TrainerRecord[], steps: number): boolean {
  const last = records[records.length - 1];
  return last?.split === 'heldOut' && last.step === steps - 1;
}

/**
 * Runs one run of a sweep in this process, the same way under every engine: skipped where its result
 * file exists (same id); adopted where the directory holds the run completed (the result file is
 * written); resumed in place where it holds an unfinished run (interrupted, failed or killed: from its
 * newest checkpoint, or from step 0 without one); started otherwise (replacing another config's run,
 * --fresh). The result file is written atomically once the run completed.
 */
export async function executeRun(io: Io, sweep: Sweep, run: PlannedRun, options: ExecuteOptions = {}): Promise<ExecutedRun> {
  if (!options.fresh && (await readResult(run))) return { outcome: 'reused', records: await readRecords(run.runDir) };
  // The run directory is this process's before any of its files is touched: a second process on the
  // same run (a resubmitted sweep while a task of the first still runs) waits for it, then finds it
  // done or resumes it; it never writes beside it.
  const lock = await acquireRunLock(run.runDir, {
    command: `flatsparse sweep run-task ${sweep.path} ${run.index} (run ${run.id})`,
    waitMs: options.lockWaitMs ?? lockWait(),
    onWait: (owner) => io.err(`run ${run.index} (${run.id}): ${run.runDir} is being written by pid ${owner.pid} on ${owner.host} (${owner.command}); waiting for it to end.`),
    onTakeover: (owner, how) => io.err(`run ${run.index} (${run.id}): took over the lock of pid ${owner.pid} on ${owner.host} (${how}).`),
  });
  try {
    return await executeLocked(io, sweep, run, options, lock);
  } finally {
    await lock.release();
  }
}

async function executeLocked(io: Io, sweep: Sweep, run: PlannedRun, options: ExecuteOptions, runLock: RunLock): Promise<ExecutedRun> {
  // It may have completed while this process waited for the lock.
  if (!options.fresh && (await readResult(run))) return { outcome: 'reused', records: await readRecords(run.runDir) };
  const stale = existsSync(join(run.runDir, RESULT_FILE));
  await rm(join(run.runDir, RESULT_FILE), { force: true });
  await rm(join(run.runDir, FAILURE_FILE), { force: true });
  const status = options.fresh || stale ? undefined : await runStatus(run.runDir);
  if (status?.status === 'completed') {
    const records = await readRecords(run.runDir);
    if (complete(records, run.config.train.steps)) {
      await writeResult(run, records);
      return { outcome: 'reused', records };
    }
  }
  const resumable = !options.fresh && !stale && status?.status !== 'completed' && (status !== undefined || existsSync(join(run.runDir, 'config.json')));
  const result = await runConfig(io, run.config, {
    out: run.runDir,
    ...(resumable ? { resume: run.runDir } : { overwrite: true }),
    quiet: options.quiet,
    signal: options.signal,
    runLock,
    resumeCommand: () => `flatsparse sweep run-task ${sweep.path} ${run.index} --out ${sweep.out}`,
  }, options.label ?? '', sweep.configDir);
  if (result.summary.stoppedEarly) return { outcome: 'interrupted', records: result.records, stopped: { steps: result.summary.steps, ...(result.summary.checkpoints.at(-1) ? { checkpoint: result.summary.checkpoints.at(-1) } : {}) } };
  await writeResult(run, result.records);
  return { outcome: 'done', records: result.records };
}
