import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../errors.js';
import { checkSafetensorsFile } from '../io/safetensors-header.js';
import type { ModelView } from '@flatsparse/plugin-api';
import { listNames } from '../report/run-files.js';
import { checkpointsDir, readCheckpointState, resolveCheckpointDir } from './checkpoint.js';

/** A checkpoint directory of a run and the steps completed when it was written. */
export interface CheckpointEntry {
  readonly dir: string;
  readonly step: number;
}

/** Every `checkpoints/step-XXXXXXXX` directory of a run, oldest first (complete or not). */
export async function checkpointEntries(runDir: string): Promise<CheckpointEntry[]> {
  return (await listNames(checkpointsDir(runDir)))
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort()
    .map((n) => ({ dir: join(checkpointsDir(runDir), n), step: Number(n.slice(5)) }));
}

/**
 * The published checkpoint of a run: the one `checkpoints/latest` names. A checkpoint directory is
 * renamed into place whole, then `latest` is rewritten atomically; until then the new directory is an
 * unpublished leftover of a killed run (resume drops it). Undefined when no checkpoint was published.
 */
export async function publishedCheckpoint(runDir: string): Promise<string | undefined> {
  const name = (await readFile(join(checkpointsDir(runDir), 'latest'), 'utf8').catch(() => '')).trim();
  return /^step-\d{8}$/.test(name) ? join(checkpointsDir(runDir), name) : undefined;
}

/**
 * Checks a checkpoint (or a run directory's latest) before any work starts, without reading its tensors: state.json valid, and both
 * safetensors files with a header whose byte ranges fit the file. Returns its step and history counts.
 * Throws E_CHECKPOINT naming the broken file.
 */
export async function checkCheckpoint(path: string): Promise<CheckpointSummary> {
  const dir = await resolveCheckpointDir(path);
  const state = await readCheckpointState(dir);
  await checkSafetensorsFile(join(dir, 'model.safetensors'));
  await checkSafetensorsFile(join(dir, 'optimizer.safetensors'));
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const records = count(state.history.records);
  const flatness = count(state.history.flatness);
  return { step: state.step, ...(records === undefined ? {} : { records }), ...(flatness === undefined ? {} : { flatness }) };
}

/**
 * Checks, from the header alone, that a checkpoint holds every parameter of `model` (before plugins add
 * theirs in 'modelBuilt') with its shape, so that a resume of another model fails before any file is
 * touched. E_CHECKPOINT naming the file and the first parameter that does not fit.
 */
export async function checkCheckpointFits(dir: string, model: ModelView): Promise<void> {
  const file = join(dir, 'model.safetensors');
  const stored = new Map((await checkSafetensorsFile(file)).map((e) => [e.name, e.shape]));
  const fix = 'resume with the model configuration the run was started with (or start a new run with --out or --overwrite). Nothing was written.';
  for (const [name, v] of model.params) {
    const shape = stored.get(name);
    if (shape === undefined) throw new CheckpointError(file, `has no parameter '${name}', which this model has.`, { expected: 'the parameters of the model that wrote it', fix });
    if (shape.length !== v.shape.length || shape.some((d, i) => d !== v.shape[i])) {
      throw new CheckpointError(file, `holds '${name}' with shape ${JSON.stringify(shape)}, but this model's is ${JSON.stringify(v.shape)}.`, { received: shape, expected: `shape ${JSON.stringify(v.shape)}`, fix });
    }
  }
}

/** What a checkpoint says about the history before it: steps, and records and estimates written (older checkpoints lack the counts). */
export interface CheckpointSummary {
  readonly step: number;
  readonly records?: number;
  readonly flatness?: number;
}
