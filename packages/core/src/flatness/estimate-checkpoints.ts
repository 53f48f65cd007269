import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendInfo } from '@flatsparse/plugin-api';
import { CheckpointError } from '../errors.js';
import { composePipeline, type PipelineParts } from '../pipeline/compose-pipeline.js';
import { checkpointsDir, readCheckpoint, restoreParams } from '../train/checkpoint.js';
import { checkCheckpoint } from '../train/checkpoint-files.js';
import { EstimatorRunner, type EstimatorSchedule, type FlatnessBatchSettings, type FlatnessRecord } from './estimator-runner.js';

/** What `estimateCheckpoints` evaluates. */
export interface CheckpointEstimateOptions {
  /** Checkpoint directories (default: every `<runDir>/checkpoints/step-*`, oldest first). */
  readonly checkpoints: readonly string[];
  /** Estimators to run on each checkpoint (only their names are used; every one runs on every checkpoint). */
  readonly estimators: readonly EstimatorSchedule[];
  /** The fixed evaluation batch and the seed (the same batch and seed for every checkpoint). */
  readonly batch?: FlatnessBatchSettings;
  /** Called after each checkpoint with its records (progress display). */
  readonly onCheckpoint?: (dir: string, records: readonly FlatnessRecord[]) => void;
}

/** Every checkpoint directory of a run, oldest first; E_CHECKPOINT if there is none. */
export async function listCheckpoints(runDir: string): Promise<string[]> {
  const names = await readdir(checkpointsDir(runDir)).catch(() => [] as string[]);
  const dirs = names.filter((n) => /^step-\d{8}$/.test(n)).sort().map((n) => join(checkpointsDir(runDir), n));
  if (dirs.length === 0) {
    throw new CheckpointError(runDir, 'has no checkpoints (no checkpoints/step-* directories).', {
      fix: 'train with train.checkpointEvery set (for example 50) so that checkpoints are written, or pass --checkpoint <dir>.',
    });
  }
  return dirs;
}

/**
 * Runs flatness estimators on saved checkpoints: checks every checkpoint first (state.json, the
 * safetensors headers and byte ranges; E_CHECKPOINT before any work), composes the pipeline once (plugins add their
 * parameters in 'modelBuilt', as in training), then for each checkpoint restores its parameters and
 * runs every estimator on the same fixed batch with the same seed, so that the figures are comparable.
 */
export async function estimateCheckpoints(parts: PipelineParts, options: CheckpointEstimateOptions): Promise<{ records: FlatnessRecord[]; backend: BackendInfo }> {
  for (const dir of options.checkpoints) await checkCheckpoint(dir);
  const composed = await composePipeline(parts);
  const { run, model, dataset } = composed;
  const runner = new EstimatorRunner(model, dataset, run.host.contributions, options.estimators, { ...options.batch, seed: options.batch?.seed ?? parts.seed ?? 0 });
  try {
    await run.host.emit('modelBuilt', { step: 0, model });
    const records: FlatnessRecord[] = [];
    for (const dir of options.checkpoints) {
      const checkpoint = await readCheckpoint(dir);
      restoreParams(model, checkpoint.model, join(checkpoint.dir, 'model.safetensors'));
      const got = await runner.run(checkpoint.state.step);
      records.push(...got);
      options.onCheckpoint?.(checkpoint.dir, got);
    }
    return { records, backend: run.backend };
  } finally {
    runner.dispose();
    await composed.dispose();
  }
}
