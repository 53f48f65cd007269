import type { Backend, Dataset, Plugin, TrainableModel } from '@flatsparse/plugin-api';
import { createRun, type Run } from '../composition-root.js';
import { preparePlugins } from '@flatsparse/plugin-api/host';
import type { NamedMetric } from '../train/index.js';
import { buildModel, modelTable, resolveModel, type ModelSpec, type ResolvedModel } from './build-model.js';
import { checkDataset, checkPipelineParts } from './check-pipeline-spec.js';
import { checkModelFits } from './memory-estimate.js';

/** What a pipeline is made of, before training settings. */
export interface PipelineParts {
  readonly seed?: number;
  readonly backends: readonly Backend[];
  readonly backend?: string;
  readonly plugins: readonly Plugin[];
  readonly pluginSources?: readonly string[];
  readonly dataset: Dataset | (() => Promise<Dataset>);
  readonly model: ModelSpec;
  readonly activation: string;
  readonly metrics?: readonly string[];
  /** Examples per step, for the memory estimate that refuses a model which cannot fit (default 1). */
  readonly batchSize?: number;
}

/** A composed pipeline: the run (backend, plugins), the data, the model and the metrics. */
export interface ComposedPipeline {
  readonly run: Run;
  readonly dataset: Dataset;
  readonly resolved: ResolvedModel;
  readonly model: TrainableModel;
  readonly metrics: readonly NamedMetric[];
  /** Disposes the model, then the run. */
  dispose(): Promise<void>;
}

/**
 * Composes a pipeline, checking everything that needs no backend first (plugins, the activation and
 * metric names, the model kind among the registered models, the data, the model config against the data), then selecting and initialising the
 * backend, checking that the model fits its memory (E_MODEL_CONFIG with the estimate and the limit),
 * and building the model. 'modelBuilt' is not emitted here: the trainer (or the caller) does.
 */
export async function composePipeline(parts: PipelineParts): Promise<ComposedPipeline> {
  checkPipelineParts(parts);
  // Checked, ordered and collected once; createRun and the host take the result as it is.
  const plugins = preparePlugins(parts.plugins, parts.pluginSources);
  const { contributions } = plugins;
  contributions.activations.get(parts.activation);
  for (const name of parts.metrics ?? []) contributions.metrics.get(name);
  // The model kind is looked up before the data loads (E_CONTRIBUTION_UNKNOWN lists the registered ones).
  const models = modelTable(contributions.models);
  models.get(parts.model.kind);
  const dataset = typeof parts.dataset === 'function' ? checkDataset(await parts.dataset(), "what the 'dataset' function returned") : parts.dataset;
  const resolved = resolveModel(parts.model, dataset, models);
  const seed = parts.seed ?? 0;
  const run = await createRun({ backends: parts.backends, backend: parts.backend, plugins, seed });
  try {
    const { host } = run;
    const activation = host.contributions.activations.get(parts.activation).value;
    const metrics = (parts.metrics ?? []).map((name) => ({ name, metric: host.contributions.metrics.get(name).value }));
    checkModelFits(resolved, parts.batchSize ?? 1, run.backend);
    const model = buildModel(resolved, activation, seed);
    return {
      run,
      dataset,
      resolved,
      model,
      metrics,
      async dispose() {
        model.dispose();
        await run.dispose();
      },
    };
  } catch (err) {
    await run.dispose();
    throw err;
  }
}
