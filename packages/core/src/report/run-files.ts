import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { onFile } from '../io/fs-errors.js';

/**
 * What a run writes into its directory. `--overwrite` removes exactly these (and leftovers of atomic
 * writes), never other files a user keeps there; the identity files come last, so a removal that is
 * killed half-way still leaves a directory that holds a run.
 */
export const RUN_FILES = [
  'checkpoints',
  'model.safetensors',
  'metrics.jsonl',
  'metrics.csv',
  'flatness.jsonl',
  'flatness-checkpoints.jsonl',
  'flatness-checkpoints.html',
  'warnings.json',
  'failure.json',
  'report.html',
  'run.json',
  'config.json',
] as const;

/** A temporary file or directory an atomic write leaves behind when it is killed: '.<name>.<12 hex digits>.tmp'. */
export const LEFTOVER = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Names in `dir` (none when it does not exist or is not a directory). */
export async function listNames(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** The TensorBoard event files a run writes ('events.out.tfevents.<seconds>.<host>'). */
export const EVENT_FILE = /^events\.out\.tfevents\./;

/**
 * The run files present in `dir`: its event files first, then RUN_FILES in order (so the identity
 * files still come last); none: the directory holds no run.
 */
export async function runFilesIn(dir: string): Promise<string[]> {
  const all = await listNames(dir);
  const names = new Set(all);
  return [...all.filter((n) => EVENT_FILE.test(n)).sort(), ...RUN_FILES.filter((f) => names.has(f))];
}

/** Removes leftovers of killed atomic writes from `dir` (not recursively); returns their names. */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const found = (await listNames(dir)).filter((n) => LEFTOVER.test(n));
  for (const name of found) await onFile(join(dir, name), 'remove', () => rm(join(dir, name), { recursive: true, force: true }));
  return found;
}

/** Removes every run file and leftover from `dir` (for `--overwrite`); returns what was removed. */
export async function removeRunFiles(dir: string): Promise<string[]> {
  const removed = [...(await removeLeftovers(dir))];
  for (const name of await runFilesIn(dir)) {
    await onFile(join(dir, name), 'remove', () => rm(join(dir, name), { recursive: true, force: true }));
    removed.push(name);
  }
  return removed;
}
