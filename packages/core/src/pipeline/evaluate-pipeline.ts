import type { BackendInfo } from '@flatsparse/plugin-api';
import { checkSafetensorsFile } from '../io/safetensors-header.js';
import { loadWeightsInto } from '../models/index.js';
import { evaluate, type EvaluationResult } from '../train/index.js';
import { composePipeline, type PipelineParts } from './compose-pipeline.js';

/** What to evaluate: saved weights on one split. */
export interface EvaluateOptions {
  /** A model.safetensors written by a run (final model or a checkpoint's). */
  readonly weights: string;
  /** 'heldOut' (default) or 'train'. */
  readonly split?: 'heldOut' | 'train';
  /** Examples per batch (default 128). */
  readonly batchSize?: number;
  /** Evaluate only the first this many batches (default: the whole split). */
  readonly maxBatches?: number;
}

/**
 * Evaluates saved weights in evaluation mode: checks the weights file (header and byte ranges, E_CHECKPOINT)
 * before any work starts, composes the pipeline (so plugins add their parameters
 * and transforms in 'modelBuilt', exactly as in training), loads the weights, and measures loss,
 * accuracy and the forward-only metrics on the split.
 */
export async function evaluatePipeline(parts: PipelineParts, options: EvaluateOptions): Promise<EvaluationResult & { backend: BackendInfo; split: string }> {
  await checkSafetensorsFile(options.weights);
  const composed = await composePipeline(parts);
  try {
    const { run, model, dataset, metrics } = composed;
    await run.host.emit('modelBuilt', { step: 0, model });
    await loadWeightsInto(model, options.weights);
    const split = options.split ?? 'heldOut';
    const result = await evaluate(model, split === 'train' ? dataset.train : dataset.heldOut, {
      batchSize: options.batchSize ?? 128,
      maxBatches: options.maxBatches,
      step: 0,
      metrics,
    });
    return { ...result, backend: run.backend, split };
  } finally {
    await composed.dispose();
  }
}
