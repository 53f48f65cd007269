import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from '../errors.js';
import { ConfigError } from '@flatsparse/plugin-api';
import { onFile } from '../io/fs-errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { checkCheckpoint, checkpointEntries, publishedCheckpoint } from '../train/checkpoint-files.js';
import { checkpointsDir } from '../train/checkpoint.js';
import { checkOutputDir } from './output-dir-check.js';
import { removeLeftovers, removeRunFiles, runFilesIn } from './run-files.js';

/** How a run may use its directory: as asked for by `--resume`, `--overwrite`, or neither. */
export interface RunDirectoryRequest {
  /** The run directory. */
  readonly runDir: string;
  /** Continue the run in `runDir`: the run directory itself (its published checkpoint) or one of its checkpoints. */
  readonly resumeFrom?: string;
  /** Replace the run in `runDir`: its files are removed before the new run writes anything. */
  readonly overwrite?: boolean;
}

/** What a run will do with its directory, decided before any work starts (nothing is written yet). */
export interface RunDirectoryPlan {
  readonly runDir: string;
  readonly mode: 'new' | 'resume' | 'overwrite';
  /** The checkpoint the run continues from; undefined: from step 0. */
  readonly checkpoint?: string;
  /** Steps completed at that checkpoint (0 without one). */
  readonly step: number;
  /** Records and flatness estimates the run had written when the checkpoint was taken (checkpoints of older versions lack them). */
  readonly history?: { readonly records?: number; readonly flatness?: number };
  /** Checkpoints after `step` (written after it, or never published): dropped when the plan is applied. */
  readonly later: readonly string[];
  /** run.json of the run already in the directory, if any. */
  readonly previous?: Readonly<Record<string, unknown>>;
  /** Run files already in the directory. */
  readonly existing: readonly string[];
}

const CHOICES = (dir: string) =>
  `continue it with --resume ${dir} (from code: resumeFrom), replace it with --overwrite (its files are removed first; overwrite: true), or write the new run elsewhere with --out <new dir> (runDir)`;

/**
 * Decides, reading only, how a run uses `runDir`: checks the directory can be written (checkOutputDir);
 * refuses a directory that holds a run unless `resumeFrom` or `overwrite` says what to do with it (the
 * error names the directory and the three choices); for a resume, finds the checkpoint (the one named,
 * or the published one; none: from step 0), checks it without reading its tensors, and lists the later
 * checkpoints to drop. ConfigError / CheckpointError / RunFileError; nothing is touched.
 */
export async function planRunDirectory(request: RunDirectoryRequest): Promise<RunDirectoryPlan> {
  const { runDir, resumeFrom, overwrite } = request;
  if (resumeFrom !== undefined && overwrite) {
    throw new ConfigError('--overwrite', 'cannot be combined with --resume: one continues the run, the other replaces it.', { fix: 'pass only one of them.' });
  }
  await checkOutputDir(runDir);
  const existing = await runFilesIn(runDir);
  const previous = await readRunJson(runDir);
  if (resumeFrom === undefined) {
    if (existing.length > 0 && !overwrite) {
      throw new ConfigError('output.dir', `'${runDir}' already holds a run (${existing.join(', ')}); a new run never writes into it unasked.`, { received: runDir, fix: `${CHOICES(runDir)}.` });
    }
    return { runDir, mode: existing.length > 0 ? 'overwrite' : 'new', step: 0, later: [], previous, existing };
  }
  const checkpoint = await resumeCheckpoint(runDir, resumeFrom);
  const summary = checkpoint === undefined ? undefined : await checkCheckpoint(checkpoint);
  const step = summary?.step ?? 0;
  const history = summary === undefined ? undefined : { ...(summary.records === undefined ? {} : { records: summary.records }), ...(summary.flatness === undefined ? {} : { flatness: summary.flatness }) };
  const later = (await checkpointEntries(runDir)).filter((c) => c.step > step || (checkpoint === undefined && c.step >= step)).map((c) => c.dir);
  return { runDir, mode: 'resume', ...(checkpoint === undefined ? {} : { checkpoint }), step, ...(history === undefined ? {} : { history }), later, previous, existing };
}

/** The checkpoint `resumeFrom` names inside `runDir` (a checkpoint directory, or the run directory: its published one). */
async function resumeCheckpoint(runDir: string, resumeFrom: string): Promise<string | undefined> {
  const from = resolve(resumeFrom);
  const isCheckpoint = await readFile(join(from, 'state.json')).then(() => true, () => false);
  if (!isCheckpoint) {
    if (from !== resolve(runDir)) {
      throw new ConfigError('--resume', `'${resumeFrom}' is neither the run directory '${runDir}' nor one of its checkpoints.`, {
        received: resumeFrom,
        fix: `resume in place: pass --resume ${runDir} (or a checkpoint such as ${join(checkpointsDir(runDir), 'step-00001000')}) without a different --out; to start a new run from saved weights, set init.weights.`,
      });
    }
    return publishedCheckpoint(runDir);
  }
  const owner = dirname(dirname(from));
  if (basename(dirname(from)) !== 'checkpoints' || owner !== resolve(runDir)) {
    throw new ConfigError('--resume', `'${resumeFrom}' is a checkpoint of ${basename(dirname(from)) === 'checkpoints' ? `the run '${owner}'` : 'no run directory'}, but the run directory is '${runDir}': a resume continues its run in place.`, {
      received: resumeFrom,
      fix: `leave out --out (the run continues in ${basename(dirname(from)) === 'checkpoints' ? owner : 'its own directory'}), or start a new run from the checkpoint's weights with init.weights: ${join(resumeFrom, 'model.safetensors')}.`,
    });
  }
  return join(checkpointsDir(runDir), basename(from));
}

/**
 * The run directory a `--resume` argument continues in: the run directory owning a checkpoint
 * (`<run>/checkpoints/step-XXXXXXXX`), else the argument itself (a run directory).
 */
export async function runDirectoryOf(resumeFrom: string): Promise<string> {
  const isCheckpoint = await readFile(join(resumeFrom, 'state.json')).then(() => true, () => false);
  return isCheckpoint && basename(dirname(resolve(resumeFrom))) === 'checkpoints' ? dirname(dirname(resumeFrom)) : resumeFrom;
}

/** run.json of the run in `dir`, if it is there and readable. */
async function readRunJson(dir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(join(dir, 'run.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    throw new CheckpointError(join(dir, 'run.json'), 'is not JSON.', { fix: `the run directory is damaged: start again with --overwrite, or move '${dir}' away.` });
  }
}

/**
 * Carries out a plan, once every check passed and just before the run writes: for `overwrite`, removes
 * the earlier run's files; for `resume`, publishes the chosen checkpoint first (`latest`), then drops
 * the later checkpoints, the final model of an earlier completion and leftovers of killed writes, in an
 * order that leaves a resumable directory if this too is killed. Returns what was removed.
 */
export async function applyRunDirectoryPlan(plan: RunDirectoryPlan): Promise<string[]> {
  if (plan.mode === 'overwrite') return removeRunFiles(plan.runDir);
  if (plan.mode === 'new') return [];
  const latest = join(checkpointsDir(plan.runDir), 'latest');
  if (plan.checkpoint !== undefined && (await publishedCheckpoint(plan.runDir)) !== plan.checkpoint) await writeFileAtomic(latest, `${basename(plan.checkpoint)}\n`);
  if (plan.checkpoint === undefined) await onFile(latest, 'remove', () => rm(latest, { force: true }));
  const removed: string[] = [];
  for (const dir of [...plan.later].reverse()) {
    await onFile(dir, 'remove', () => rm(dir, { recursive: true, force: true }));
    removed.push(dir);
  }
  removed.push(...(await removeLeftovers(checkpointsDir(plan.runDir))).map((n) => join(checkpointsDir(plan.runDir), n)));
  removed.push(...(await removeLeftovers(plan.runDir)).map((n) => join(plan.runDir, n)));
  const model = join(plan.runDir, 'model.safetensors');
  if (plan.existing.includes('model.safetensors')) {
    await onFile(model, 'remove', () => rm(model, { force: true }));
    removed.push(model);
  }
  return removed;
}
