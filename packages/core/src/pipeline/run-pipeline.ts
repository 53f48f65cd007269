import type { BackendInfo } from '../backend.js';
import type { Dataset } from '../dataset.js';
import type { TrainableModel } from '../model.js';
import { loadWeightsInto, saveModel } from '../models/index.js';
import { RunDirectory } from '../report/run-directory.js';
import { Trainer, type TrainSummary, type TrainerOptions, type TrainerRecord } from '../train/index.js';
import { composePipeline, type PipelineParts } from './compose-pipeline.js';

/** Trainer settings a pipeline passes through (everything but what the pipeline wires itself). */
export type TrainSettings = Omit<TrainerOptions, 'model' | 'dataset' | 'host' | 'metrics' | 'sink' | 'runDir' | 'seed' | 'resumeFrom'>;

/** A whole pipeline, composed from code (the CLI builds one from a config file). */
export interface PipelineSpec extends PipelineParts {
  /** Title of the run (report heading). */
  readonly name?: string;
  /** Trainer settings. */
  readonly train: TrainSettings;
  /** Run directory (config, metrics.jsonl/csv, report.html, checkpoints); none: nothing is written. */
  readonly runDir?: string;
  /** Continue from a checkpoint (or a run directory's latest). */
  readonly resumeFrom?: string;
  /** The resolved config, stored as config.json and shown in the report. */
  readonly config?: unknown;
  /** Called with every record (progress display). */
  readonly onRecord?: (record: TrainerRecord) => void;
  /** Called once the backend and model are ready, before the first step. */
  readonly onStart?: (info: { backend: BackendInfo; model: TrainableModel; dataset: Dataset; skipped: readonly { name: string; reason: string }[] }) => void;
  /** Stops after the current step. */
  readonly signal?: AbortSignal;
  /** Writes the trained model here (safetensors, atomic) when training completes. */
  readonly saveModelTo?: string;
  /**
   * Starts from saved weights (a model.safetensors of an earlier run, for example a vanilla ReLU model
   * to sparsify with the fine-tuning variants). They are loaded before 'modelBuilt', so parameters that
   * plugins add then (zeroth-bias tables) start from their own initial values.
   */
  readonly initWeights?: string;
}

/** What a pipeline run returns. */
export interface PipelineResult {
  readonly summary: TrainSummary;
  readonly backend: BackendInfo;
  readonly records: readonly TrainerRecord[];
  readonly runDir?: string;
}

/**
 * Runs a pipeline: loads the data, composes the run (plugins validated, backend selected and
 * initialised), builds the model with the chosen activation, trains with the chosen metrics, and
 * writes the run directory. The model and the run are disposed whatever happens.
 */
export async function runPipeline(spec: PipelineSpec): Promise<PipelineResult> {
  const composed = await composePipeline(spec);
  const { run, dataset, resolved, model, metrics } = composed;
  const seed = spec.seed ?? 0;
  try {
    const { host } = run;
    if (spec.initWeights !== undefined && spec.resumeFrom === undefined) await loadWeightsInto(model, spec.initWeights);
    spec.onStart?.({ backend: run.backend, model, dataset, skipped: run.skippedBackends });
    const dir = spec.runDir === undefined ? undefined : new RunDirectory(spec.runDir, { title: spec.name ?? 'flatsparse run', config: spec.config, facts: facts(spec, dataset, run.backend, seed, resolved.config) });
    if (spec.resumeFrom !== undefined) await dir?.loadExisting();
    await dir?.init();
    const records: TrainerRecord[] = [];
    let lastFlush = 0;
    const trainer = new Trainer({
      ...spec.train,
      model,
      dataset,
      host,
      metrics,
      seed,
      runDir: spec.runDir,
      resumeFrom: spec.resumeFrom,
      signal: spec.signal,
      sink: {
        write: async (record) => {
          records.push(record);
          spec.onRecord?.(record);
          if (!dir) return;
          dir.add(record);
          if (record.split === 'heldOut' || record.wallMs - lastFlush > 2000) {
            lastFlush = record.wallMs;
            await dir.flush();
          }
        },
      },
    });
    let summary: TrainSummary;
    try {
      summary = await trainer.run();
    } finally {
      await dir?.flush();
    }
    if (spec.saveModelTo !== undefined && !summary.stoppedEarly) await saveModel(model, spec.saveModelTo);
    return { summary, backend: run.backend, records, runDir: spec.runDir };
  } finally {
    await composed.dispose();
  }
}

function facts(spec: PipelineSpec, dataset: Dataset, backend: BackendInfo, seed: number, modelConfig: object): Record<string, string | number | boolean> {
  return {
    backend: `${backend.name} (tfjs '${backend.tfjsName}': ${backend.detail})${backend.fallback ? ` FALLBACK: ${backend.fallback}` : ''}`,
    model: `${spec.model.kind} ${JSON.stringify(modelConfig)}`,
    activation: spec.activation,
    data: `${dataset.name} (${dataset.train.size} train / ${dataset.heldOut.size} held-out; ${dataset.source})`,
    steps: spec.train.steps,
    batchSize: spec.train.batchSize,
    seed,
    metrics: (spec.metrics ?? []).join(', '),
  };
}
