import { type ActivationFunction, type Dataset, type ModelArchitecture, ModelConfigError, type TrainableModel } from '@flatsparse/plugin-api';
import { ContributionTable } from '@flatsparse/plugin-api/host';
import { builtinModelPlugins } from '../models/builtin-models.js';
import { misfit } from '../models/fit-to-data.js';

/** Which model to build: a registered `kind` and its options; sizes the data determines may be left out. */
export interface ModelSpec {
  /** Name of a model architecture contributed by a plugin of the run, or a built-in one. */
  readonly kind: string;
  /** The architecture's options (everything of `model:` but `kind`). */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** A model config completed from the data and validated by its architecture. */
export interface ResolvedModel<C = unknown> {
  readonly kind: string;
  readonly config: C;
  readonly architecture: ModelArchitecture<C>;
}

/**
 * The model architectures a run can build: those its plugins contribute (`contributed`), then the
 * built-in model plugins' under the names no listed plugin took.
 */
export function modelTable(contributed?: ContributionTable<ModelArchitecture>): ContributionTable<ModelArchitecture> {
  const table = new ContributionTable<ModelArchitecture>('model');
  for (const { value, plugin } of contributed?.all() ?? []) table.add(value, plugin);
  for (const plugin of builtinModelPlugins()) for (const m of plugin.contributes?.models ?? []) if (!table.has(m.name)) table.add(m, plugin.name);
  return table;
}

/**
 * Completes and validates a model config for a data set (pure; call before any work starts): the
 * architecture named by `kind` (E_CONTRIBUTION_UNKNOWN listing the registered ones) checks the data kind
 * and its options, taking from the data what the config leaves out. Throws E_MODEL_CONFIG naming the key.
 */
export function resolveModel(spec: ModelSpec, dataset: Dataset, models: ContributionTable<ModelArchitecture> = modelTable()): ResolvedModel {
  const architecture = models.get(spec.kind).value;
  if (!architecture.dataKinds.includes(dataset.kind)) {
    const fitting = models.all().filter(({ value }) => value.dataKinds.includes(dataset.kind)).map(({ value }) => value.name);
    throw misfit('model.kind', spec.kind, `'${spec.kind}' trains on ${architecture.dataKinds.join(' or ')} data; data set '${dataset.name}' is ${dataset.kind} data`, `use ${fitting.length ? `model.kind ${fitting.map((n) => `'${n}'`).join(' or ')}` : `a model for ${dataset.kind} data`} for ${dataset.kind} data, or ${architecture.dataKinds.join(' or ')} data`);
  }
  const facts = { name: dataset.name, kind: dataset.kind, classes: dataset.classes, inputShape: dataset.train.inputShape };
  return { kind: architecture.name, config: architecture.resolve(spec.config ?? {}, facts), architecture };
}

/** Builds the model of a resolved config with an activation and an initialisation seed. */
export function buildModel(model: ResolvedModel, activation: ActivationFunction, seed: number): TrainableModel {
  const built = model.architecture.build(model.config, { activation, seed });
  if (built.kind !== model.architecture.name) {
    built.dispose();
    throw new ModelConfigError(`model architecture '${model.architecture.name}' built a model of kind '${built.kind}'.`, {
      received: built.kind,
      expected: `'${model.architecture.name}' (checkpoints and run directories record the kind, and loading looks the architecture up by it)`,
      fix: `make the model's 'kind' the architecture's name '${model.architecture.name}'.`,
    });
  }
  return built;
}
