import { ownerState, readLock, upgradeRecord, writeFileAtomic, type TrainerRecord } from '@flatsparse/core';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlannedRun } from './expand.js';
import { FLATSPARSE_VERSION } from './run-id.js';

/** The per-run result file, written atomically once a run completed: its presence means done. */
export const RESULT_FILE = 'result.json';
/** Written by a sweep task that failed (whatever stopped it: a config, data or training error). */
export const FAILURE_FILE = 'sweep-failure.json';

/** What result.json holds. */
export interface RunResult {
  readonly id: string;
  readonly index: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly steps: number;
  readonly finalTrain: TrainerRecord | null;
  readonly finalHeldOut: TrainerRecord | null;
  readonly finishedAt: string;
}

/** Where a run stands, from its directory alone. */
export type DiskState = 'done' | 'failed' | 'running' | 'interrupted' | 'missing';

/** Writes result.json for a completed run (and removes an earlier failure marker). */
export async function writeResult(run: PlannedRun, records: readonly TrainerRecord[]): Promise<void> {
  const last = (split: 'train' | 'heldOut') => [...records].reverse().find((r) => r.split === split) ?? null;
  const result: RunResult = { id: run.id, index: run.index, labels: run.labels, version: FLATSPARSE_VERSION, steps: run.config.train.steps, finalTrain: last('train'), finalHeldOut: last('heldOut'), finishedAt: new Date().toISOString() };
  await writeFileAtomic(join(run.runDir, RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  await rm(join(run.runDir, FAILURE_FILE), { force: true });
}

/** Records that a sweep task failed, with the error and the exit code. */
export async function writeFailure(run: PlannedRun, error: string, exitCode: number): Promise<void> {
  await writeFileAtomic(join(run.runDir, FAILURE_FILE), `${JSON.stringify({ id: run.id, index: run.index, exitCode, error, at: new Date().toISOString() }, null, 2)}\n`);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** result.json of the run, when it is this run's (same id); figure names of flatsparse 0.2 read under today's. */
export async function readResult(run: PlannedRun): Promise<RunResult | undefined> {
  const result = await readJson<RunResult>(join(run.runDir, RESULT_FILE));
  if (result?.id !== run.id) return undefined;
  return { ...result, finalTrain: result.finalTrain && upgradeRecord(result.finalTrain), finalHeldOut: result.finalHeldOut && upgradeRecord(result.finalHeldOut) };
}

/** The run's records (metrics.jsonl), empty where there are none; figure names of flatsparse 0.2 read under today's. */
export async function readRecords(runDir: string): Promise<TrainerRecord[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => upgradeRecord(JSON.parse(l) as TrainerRecord));
}

/** run.json's status and completed steps, if the directory holds a run. */
export async function runStatus(runDir: string): Promise<{ status?: string; completedSteps?: number } | undefined> {
  return readJson(join(runDir, 'run.json'));
}

/**
 * Where a run stands on disk: done (its result file), running (a live process holds its lock),
 * failed (a failure marker, or run.json says failed), interrupted (it holds a run or a checkpoint to
 * resume, including a run killed while run.json said running: its lock's owner is dead), missing
 * (nothing yet).
 */
export async function diskState(run: PlannedRun): Promise<{ state: DiskState; step?: number }> {
  if (await readResult(run)) return { state: 'done', step: run.config.train.steps };
  const status = await runStatus(run.runDir);
  const lock = await readLock(run.runDir).catch(() => undefined);
  if (lock !== undefined && ('damaged' in lock || ownerState(lock.owner, lock.mtimeMs).state === 'live')) return { state: 'running', step: status?.completedSteps };
  if (existsSync(join(run.runDir, FAILURE_FILE)) || status?.status === 'failed') return { state: 'failed', step: status?.completedSteps };
  if (status !== undefined || existsSync(join(run.runDir, 'checkpoints', 'latest'))) return { state: 'interrupted', step: status?.completedSteps };
  return { state: 'missing' };
}
