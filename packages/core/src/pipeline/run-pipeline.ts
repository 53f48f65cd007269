import type { Backend, BackendInfo } from '../backend.js';
import { createRun } from '../composition-root.js';
import type { Dataset } from '../dataset.js';
import type { TrainableModel } from '../model.js';
import type { Plugin } from '../plugin.js';
import { saveModel, type GptModel, type VitModel } from '../models/index.js';
import { RunDirectory } from '../report/run-directory.js';
import { Trainer, type TrainSummary, type TrainerOptions, type TrainerRecord } from '../train/index.js';
import { collectContributions } from '../contributions.js';
import { validatePlugins } from '../plugin-validation.js';
import { buildModel, resolveModel, type ModelSpec } from './build-model.js';

/** Trainer settings a pipeline passes through (everything but what the pipeline wires itself). */
export type TrainSettings = Omit<TrainerOptions, 'model' | 'dataset' | 'host' | 'metrics' | 'sink' | 'runDir' | 'seed' | 'resumeFrom'>;

/** A whole pipeline, composed from code (the CLI builds one from a config file). */
export interface PipelineSpec {
  /** Title of the run (report heading). */
  readonly name?: string;
  /** Seed of initialisation and data order. */
  readonly seed?: number;
  /** Backend descriptors and the one to use ('auto' by default). */
  readonly backends: readonly Backend[];
  readonly backend?: string;
  /** Every plugin of the run (activation, metrics, regularizers, methods, third-party). */
  readonly plugins: readonly Plugin[];
  /** Where each plugin came from, for error messages. */
  readonly pluginSources?: readonly string[];
  /** The data set, or a loader called before the backend starts. */
  readonly dataset: Dataset | (() => Promise<Dataset>);
  /** The model to build. */
  readonly model: ModelSpec;
  /** Name of the activation (contributed by a plugin). */
  readonly activation: string;
  /** Names of the metrics to measure (contributed by plugins). */
  readonly metrics?: readonly string[];
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
  // Everything that can be checked without a backend is checked first.
  const contributions = collectContributions(validatePlugins(spec.plugins, spec.pluginSources));
  contributions.activations.get(spec.activation);
  for (const name of spec.metrics ?? []) contributions.metrics.get(name);
  const dataset = typeof spec.dataset === 'function' ? await spec.dataset() : spec.dataset;
  const resolved = resolveModel(spec.model, dataset);
  const seed = spec.seed ?? 0;
  const run = await createRun({ backends: spec.backends, backend: spec.backend, plugins: spec.plugins, pluginSources: spec.pluginSources, seed });
  let model: VitModel | GptModel | undefined;
  try {
    const { host } = run;
    const activation = host.contributions.activations.get(spec.activation).value;
    const metrics = (spec.metrics ?? []).map((name) => ({ name, metric: host.contributions.metrics.get(name).value }));
    model = buildModel(resolved, activation, seed);
    spec.onStart?.({ backend: run.backend, model, dataset, skipped: run.skippedBackends });
    const dir = spec.runDir === undefined ? undefined : new RunDirectory(spec.runDir, { title: spec.name ?? 'flatsparse run', config: spec.config, facts: facts(spec, dataset, run.backend, seed, resolved.config) });
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
    model?.dispose();
    await run.dispose();
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
