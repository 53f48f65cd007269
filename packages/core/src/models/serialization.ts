import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type StoredTensor } from '../io/safetensors.js';
import type { ActivationFunction, ModelArchitecture, TrainableModel } from '@flatsparse/plugin-api';
import { builtinModelPlugins } from './builtin-models.js';

/** Version of the model file layout (see models/README.md). */
export const MODEL_FORMAT_VERSION = '1';

/** A model that can be saved: any TrainableModel; its `config` (where it has one) is stored as the metadata's config. */
export type SavableModel = TrainableModel & { readonly config?: unknown };

/** The model's parameters as float32 arrays by name (reads tensors back: not for use inside a step). */
export async function collectWeights(model: Pick<TrainableModel, 'params'>): Promise<Map<string, StoredTensor>> {
  const out = new Map<string, StoredTensor>();
  for (const [name, variable] of model.params) {
    const data = await variable.data();
    out.set(name, variable.dtype === 'int32' ? { dtype: 'I32', shape: variable.shape, data: Int32Array.from(data as Int32Array) } : { dtype: 'F32', shape: variable.shape, data: Float32Array.from(data as Float32Array) });
  }
  return out;
}

/** The safetensors metadata of a model: format, kind, config (JSON), version and frozen parameters (JSON). */
export function modelMetadata(model: SavableModel): Record<string, string> {
  const frozen = [...model.params].filter(([, v]) => !v.trainable).map(([name]) => name);
  return { format: 'flatsparse-model', kind: model.kind, config: JSON.stringify(model.config ?? {}), version: MODEL_FORMAT_VERSION, frozen: JSON.stringify(frozen) };
}

/** Encodes a model (weights and metadata) as safetensors bytes. */
export async function encodeModel(model: SavableModel): Promise<Uint8Array> {
  return encodeSafetensors(await collectWeights(model), modelMetadata(model));
}

/** Writes every parameter (plugin-added ones included) to a safetensors file, atomically. */
export async function saveModel(model: SavableModel, path: string): Promise<void> {
  await saveSafetensors(path, await collectWeights(model), modelMetadata(model));
}

/**
 * Assigns stored weights to a model's parameters. Names and shapes must match exactly; otherwise
 * nothing is assigned and CheckpointError lists the missing, unexpected and mis-shaped names.
 * Trainable flags are left as they are.
 */
export function assignWeights(model: TrainableModel, tensors: ReadonlyMap<string, StoredTensor>, source: string, options: { ignoreExtra?: boolean } = {}): void {
  const missing = [...model.params.keys()].filter((name) => !tensors.has(name));
  const extra = options.ignoreExtra ? [] : [...tensors.keys()].filter((name) => !model.params.has(name));
  const misShaped: string[] = [];
  for (const [name, variable] of model.params) {
    const stored = tensors.get(name);
    if (stored === undefined) continue;
    const dtype = variable.dtype === 'int32' ? 'I32' : 'F32';
    if (stored.dtype !== dtype || stored.shape.length !== variable.shape.length || stored.shape.some((s, i) => s !== variable.shape[i])) {
      misShaped.push(`${name} (file ${stored.dtype}${JSON.stringify(stored.shape)}, model ${dtype}${JSON.stringify(variable.shape)})`);
    }
  }
  if (missing.length + extra.length + misShaped.length > 0) {
    const parts = [
      missing.length ? `missing from the file: ${missing.join(', ')}` : '',
      extra.length ? `not in the model: ${extra.join(', ')}` : '',
      misShaped.length ? `shape or dtype mismatch: ${misShaped.join('; ')}` : '',
    ].filter(Boolean);
    throw new CheckpointError(source, `does not match the model's parameters (${parts.join('; ')}).`, {
      expected: `exactly the parameters of this ${model.kind} (${model.params.size} tensors) with their shapes`,
      fix: 'build the model with the same config and the same plugins (they add parameters such as zeroth-bias tables) as the saved one.',
    });
  }
  for (const [name, variable] of model.params) {
    const stored = tensors.get(name)!;
    tf.tidy(() => variable.assign(tf.tensor(stored.data, [...stored.shape], variable.dtype)));
  }
}

/** Loads weights from a safetensors file into an existing model (names and shapes must match). */
export async function loadWeightsInto(model: TrainableModel, path: string): Promise<void> {
  const { tensors } = await loadSafetensors(path);
  assignWeights(model, tensors, path);
}

/** Options of loadModel. */
export interface LoadModelOptions {
  /** The activation of every MLP block (activations are not stored in the file). */
  readonly activation: ActivationFunction;
  /** Architectures the file's kind may name besides the built-in ones (those of third-party model plugins). */
  readonly models?: readonly ModelArchitecture[];
  /** Skip stored parameters the rebuilt model lacks (plugin-added ones) instead of throwing (default false). */
  readonly ignoreExtra?: boolean;
}

/** Rebuilds a model from safetensors bytes written by encodeModel/saveModel; `source` names it in errors. */
export function decodeModel(bytes: Uint8Array, options: LoadModelOptions, source = 'buffer'): SavableModel {
  return buildModel(decodeSafetensors(bytes, source), options, source);
}

/** Rebuilds a model from a file written by saveModel: its kind names the architecture, its metadata holds the config, then its weights. */
export async function loadModel(path: string, options: LoadModelOptions): Promise<SavableModel> {
  return buildModel(await loadSafetensors(path), options, path);
}

function buildModel(file: { tensors: Map<string, StoredTensor>; metadata: Record<string, string> }, options: LoadModelOptions, source: string): SavableModel {
  const { tensors, metadata } = file;
  if (metadata.format !== 'flatsparse-model' || metadata.config === undefined) {
    throw new CheckpointError(source, 'is not a flatsparse model file.', { received: metadata.format ?? '(no format in __metadata__)', expected: "__metadata__.format = 'flatsparse-model'", fix: 'pass a file written by saveModel().' });
  }
  if (metadata.version !== MODEL_FORMAT_VERSION) {
    throw new CheckpointError(source, 'has an unsupported model format version.', { received: metadata.version, expected: MODEL_FORMAT_VERSION, fix: 'load it with the flatsparse version that wrote it.' });
  }
  let config: unknown;
  try {
    config = JSON.parse(metadata.config);
  } catch (err) {
    throw new CheckpointError(source, 'has a config that is not JSON.', { cause: err, fix: 'the file is corrupt; use another checkpoint.' });
  }
  const models = [...(options.models ?? []), ...builtinModelPlugins().flatMap((p) => p.contributes?.models ?? [])];
  const architecture = models.find((m) => m.name === metadata.kind);
  if (architecture === undefined) {
    throw new CheckpointError(source, 'holds a model kind no architecture given builds.', {
      received: metadata.kind,
      expected: `one of ${[...new Set(models.map((m) => m.name))].sort().join(', ')}`,
      fix: "pass the architecture of the plugin that trained it (loadModel(path, { models: [...] })), or a file written by saveModel().",
    });
  }
  const model: SavableModel = architecture.build(architecture.parse(config), { activation: options.activation, seed: 0 });
  try {
    assignWeights(model, tensors, source, { ignoreExtra: options.ignoreExtra ?? false });
    for (const name of JSON.parse(metadata.frozen ?? '[]') as string[]) if (model.params.has(name)) model.setTrainable(name, false);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
