import type { BackendInfo } from '../backend.js';
import type { Dataset } from '../dataset.js';
import { describeFailure, type RunWarning } from '../faults/fault-records.js';
import { EstimatorRunner, type EstimatorSchedule, type FlatnessBatchSettings, type FlatnessRecord } from '../flatness/estimator-runner.js';
import type { TrainableModel } from '../model.js';
import { loadWeightsInto, saveModel } from '../models/index.js';
import { RunDirectory } from '../report/run-directory.js';
import { Trainer, type TrainSummary, type TrainerOptions, type TrainerRecord } from '../train/index.js';
import { composePipeline, type PipelineParts } from './compose-pipeline.js';

/**
 * Trainer settings a pipeline passes through (everything but what the pipeline wires itself), including
 * the fault policy `faults: { metrics: 'stop' | 'disable' }`.
 */
export type TrainSettings = Omit<TrainerOptions, 'model' | 'dataset' | 'host' | 'metrics' | 'sink' | 'runDir' | 'seed' | 'resumeFrom' | 'onWarning' | 'estimators' | 'onFlatness'>;

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
  /** Called with every warning (for example a metric disabled under `train.faults.metrics: 'disable'`); also written to the run directory. */
  readonly onWarning?: (warning: RunWarning) => void;
  /** Called once the backend and model are ready, before the first step. */
  readonly onStart?: (info: { backend: BackendInfo; model: TrainableModel; dataset: Dataset; skipped: readonly { name: string; reason: string; fix?: string }[] }) => void;
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
  /** Flatness estimators to run during training, by contribution name, with their schedules. */
  readonly estimators?: readonly EstimatorSchedule[];
  /** The fixed batch and seed of every flatness estimate (default: 64 held-out examples, the run's seed). */
  readonly flatness?: FlatnessBatchSettings;
  /** Called with the records of every scheduled flatness estimate (also written to flatness.jsonl). */
  readonly onFlatness?: (records: readonly FlatnessRecord[]) => void;
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
 * writes the run directory. When training fails (a plugin fault, a non-finite step), the run
 * directory gets `failure.json` (code, plugin, event, step, message, steps completed, last checkpoint)
 * and a report showing it; checkpoints written before stay, to resume from. Warnings go to
 * `warnings.json` and `onWarning`. The model and the run are disposed whatever happens.
 */
export async function runPipeline(spec: PipelineSpec): Promise<PipelineResult> {
  const composed = await composePipeline(spec);
  const { run, dataset, resolved, model, metrics } = composed;
  const seed = spec.seed ?? 0;
  let estimators: EstimatorRunner | undefined;
  try {
    const { host } = run;
    if (spec.initWeights !== undefined && spec.resumeFrom === undefined) await loadWeightsInto(model, spec.initWeights);
    spec.onStart?.({ backend: run.backend, model, dataset, skipped: run.skippedBackends });
    const dir = spec.runDir === undefined ? undefined : new RunDirectory(spec.runDir, { title: spec.name ?? 'flatsparse run', config: spec.config, facts: facts(spec, dataset, run.backend, seed, resolved.config) });
    if (spec.resumeFrom !== undefined) await dir?.loadExisting();
    await dir?.init();
    const records: TrainerRecord[] = [];
    let lastFlush = 0;
    estimators = spec.estimators?.length ? new EstimatorRunner(model, dataset, host.contributions, spec.estimators, { ...spec.flatness, seed: spec.flatness?.seed ?? seed }) : undefined;
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
      estimators,
      onFlatness: async (got) => {
        spec.onFlatness?.(got);
        dir?.addFlatness(got);
        await dir?.flush();
      },
      onWarning: (warning) => {
        dir?.warn(warning);
        spec.onWarning?.(warning);
      },
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
    } catch (err) {
      // The training error is what the caller needs: a failure to record it must not replace it.
      await dir?.fail(describeFailure(err, trainer.progress)).catch(() => undefined);
      throw err;
    } finally {
      await dir?.flush();
    }
    if (spec.saveModelTo !== undefined && !summary.stoppedEarly) await saveModel(model, spec.saveModelTo);
    return { summary, backend: run.backend, records, runDir: spec.runDir };
  } finally {
    estimators?.dispose();
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
    ...(spec.estimators?.length ? { estimators: spec.estimators.map((e) => e.name).join(', ') } : {}),
  };
}
