import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CheckpointError } from '../errors.js';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic-write.js';
import { loadSafetensors, saveSafetensors, type StoredTensor } from '../io/safetensors.js';
import type { ModelView } from '@flatsparse/plugin-api';

/** Version of the checkpoint layout; a reader refuses other versions. */
export const CHECKPOINT_FORMAT = 1;

const stateSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  step: z.number().int().nonnegative(),
  optimizerStep: z.number().int().nonnegative(),
  rng: z.array(z.number()).length(4),
  sampler: z.object({ epoch: z.number().int().nonnegative(), position: z.number().int().nonnegative(), rng: z.array(z.number()).length(4), shuffle: z.boolean() }),
  plugins: z.record(z.string(), z.unknown()),
  history: z.object({ lastTrain: z.unknown().optional(), lastHeldOut: z.unknown().optional() }).loose(),
  modelKind: z.string(),
});

/** `state.json` of a checkpoint: everything besides the tensors needed to continue exactly. */
export type CheckpointState = z.infer<typeof stateSchema>;

/** Name of the checkpoint directory after `step` completed steps: 'step-' and 8 digits. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** `<runDir>/checkpoints`. */
export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

/**
 * Writes `<runDir>/checkpoints/step-<8 digits>/` atomically (a temporary sibling directory renamed into
 * place): model.safetensors (every parameter), optimizer.safetensors (AdamW moments) and state.json;
 * then points `checkpoints/latest` at it (atomic file write). Returns the directory.
 */
export async function writeCheckpoint(
  runDir: string,
  parts: { readonly params: ReadonlyMap<string, tf.Variable>; readonly optimizer: ReadonlyMap<string, StoredTensor>; readonly state: CheckpointState },
): Promise<string> {
  const name = checkpointName(parts.state.step);
  const dir = join(checkpointsDir(runDir), name);
  if (await exists(dir)) {
    throw new CheckpointError(dir, 'already exists.', {
      expected: 'a run directory without a checkpoint for this step',
      fix: 'use a new runDir, or resume from the existing checkpoint instead of starting again.',
    });
  }
  const model = new Map<string, StoredTensor>();
  for (const [key, v] of parts.params) {
    const data = await v.data();
    model.set(key, v.dtype === 'int32' ? { dtype: 'I32', shape: v.shape, data: data as Int32Array } : { dtype: 'F32', shape: v.shape, data: data as Float32Array });
  }
  await writeDirAtomic(dir, async (tmp) => {
    await saveSafetensors(join(tmp, 'model.safetensors'), model, { format: 'flatsparse-model', kind: parts.state.modelKind });
    await saveSafetensors(join(tmp, 'optimizer.safetensors'), parts.optimizer, { format: 'flatsparse-adamw' });
    await writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(parts.state, null, 1)}\n`);
  });
  await writeFileAtomic(join(checkpointsDir(runDir), 'latest'), `${name}\n`);
  return dir;
}

/** A checkpoint read from disk. */
export interface LoadedCheckpoint {
  readonly dir: string;
  readonly state: CheckpointState;
  readonly model: Map<string, StoredTensor>;
  readonly optimizer: Map<string, StoredTensor>;
}

/** Reads a checkpoint directory, or the one `<dir>/checkpoints/latest` points to when given a run directory. */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const dir = await resolveCheckpointDir(path);
  const state = await readCheckpointState(dir);
  const model = (await loadSafetensors(join(dir, 'model.safetensors'))).tensors;
  const optimizer = (await loadSafetensors(join(dir, 'optimizer.safetensors'))).tensors;
  return { dir, state, model, optimizer };
}

/** Reads and validates a checkpoint directory's state.json (E_CHECKPOINT naming the file). */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const statePath = join(dir, 'state.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (err) {
    throw new CheckpointError(statePath, 'could not be read as JSON.', { cause: err, fix: 'resume from a complete checkpoint directory (it holds model.safetensors, optimizer.safetensors and state.json).' });
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CheckpointError(statePath, `has an invalid '${issue.path.join('.')}': ${issue.message}.`, {
      expected: `a state.json of checkpoint format ${CHECKPOINT_FORMAT}`,
      fix: 'resume from a checkpoint written by this version of flatsparse.',
    });
  }
  return parsed.data;
}

/** Assigns stored values to every parameter; names and shapes must match exactly both ways. */
export function restoreParams(model: ModelView, stored: ReadonlyMap<string, StoredTensor>, source: string): void {
  const fix = 'resume with the same model configuration and plugins as the run that wrote the checkpoint.';
  for (const name of stored.keys()) {
    if (!model.params.has(name)) throw new CheckpointError(source, `holds parameter '${name}', which this model does not have.`, { expected: `the parameters ${[...model.params.keys()].join(', ')}`, fix });
  }
  for (const [name, v] of model.params) {
    const s = stored.get(name);
    if (s === undefined) throw new CheckpointError(source, `has no parameter '${name}'.`, { expected: 'every parameter of the model, plugin-added ones included', fix });
    if (s.shape.length !== v.shape.length || s.shape.some((d, i) => d !== v.shape[i])) {
      throw new CheckpointError(source, `parameter '${name}' has shape ${JSON.stringify(s.shape)}.`, { received: s.shape, expected: `shape ${JSON.stringify(v.shape)}`, fix });
    }
  }
  for (const [name, v] of model.params) {
    const s = stored.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(s.data, [...s.shape], v.dtype)));
  }
}

/** Deletes all but the newest `keep` checkpoint directories of a run. */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<void> {
  const names = (await readdir(checkpointsDir(runDir))).filter((n) => /^step-\d{8}$/.test(n)).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) await rm(join(checkpointsDir(runDir), name), { recursive: true, force: true });
}

/** A checkpoint directory itself, or the one `<path>/checkpoints/latest` names when `path` is a run directory. */
export async function resolveCheckpointDir(path: string): Promise<string> {
  if (await exists(join(path, 'state.json'))) return path;
  const latest = join(checkpointsDir(path), 'latest');
  if (await exists(latest)) return join(checkpointsDir(path), (await readFile(latest, 'utf8')).trim());
  throw new CheckpointError(path, 'is neither a checkpoint directory (no state.json) nor a run directory with checkpoints/latest.', {
    fix: "pass a directory such as '<runDir>/checkpoints/step-00001000', or the run directory itself.",
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
