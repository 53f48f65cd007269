import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type StoredTensor } from '../io/safetensors.js';
import { GptModel } from './gpt.js';
import type { TransformerModel, ModelOptions } from './transformer-model.js';
import { VitModel } from './vit.js';

/** Version of the model file layout (see models/README.md). */
export const MODEL_FORMAT_VERSION = '1';

/** A model that can be saved: a ViT or a GPT. */
export type SavableModel = VitModel | GptModel;

/** The model's parameters as float32 arrays by name (reads tensors back: not for use inside a step). */
export async function collectWeights(model: TransformerModel): Promise<Map<string, StoredTensor>> {
  const out = new Map<string, StoredTensor>();
  for (const [name, variable] of model.params) {
    const data = await variable.data();
    out.set(name, variable.dtype === 'int32' ? { dtype: 'I32', shape: variable.shape, data: Int32Array.from(data as Int32Array) } : { dtype: 'F32', shape: variable.shape, data: Float32Array.from(data as Float32Array) });
  }
  return out;
}

/** The safetensors metadata of a model: format, kind, config (JSON), version and frozen parameters (JSON). */
export function modelMetadata(model: TransformerModel): Record<string, string> {
  const frozen = [...model.params].filter(([, v]) => !v.trainable).map(([name]) => name);
  return { format: 'flatsparse-model', kind: model.kind, config: JSON.stringify(model.config), version: MODEL_FORMAT_VERSION, frozen: JSON.stringify(frozen) };
}

/** Encodes a model (weights and metadata) as safetensors bytes. */
export async function encodeModel(model: TransformerModel): Promise<Uint8Array> {
  return encodeSafetensors(await collectWeights(model), modelMetadata(model));
}

/** Writes every parameter (plugin-added ones included) to a safetensors file, atomically. */
export async function saveModel(model: TransformerModel, path: string): Promise<void> {
  await saveSafetensors(path, await collectWeights(model), modelMetadata(model));
}

/**
 * Assigns stored weights to a model's parameters. Names and shapes must match exactly; otherwise
 * nothing is assigned and CheckpointError lists the missing, unexpected and mis-shaped names.
 * Trainable flags are left as they are.
 */
export function assignWeights(model: TransformerModel, tensors: ReadonlyMap<string, StoredTensor>, source: string, options: { ignoreExtra?: boolean } = {}): void {
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
export async function loadWeightsInto(model: TransformerModel, path: string): Promise<void> {
  const { tensors } = await loadSafetensors(path);
  assignWeights(model, tensors, path);
}

/** Options of loadModel. */
export interface LoadModelOptions extends Pick<ModelOptions, 'activation'> {
  /** Skip stored parameters the rebuilt model lacks (plugin-added ones) instead of throwing (default false). */
  readonly ignoreExtra?: boolean;
}

/** Rebuilds a model from safetensors bytes written by encodeModel/saveModel; `source` names it in errors. */
export function decodeModel(bytes: Uint8Array, options: LoadModelOptions, source = 'buffer'): SavableModel {
  return buildModel(decodeSafetensors(bytes, source), options, source);
}

/** Rebuilds a ViT or GPT from a file written by saveModel (config from its metadata, then its weights). */
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
  const build = { activation: options.activation, seed: 0 };
  let model: SavableModel;
  if (metadata.kind === 'vit') model = new VitModel(config as never, build);
  else if (metadata.kind === 'gpt') model = new GptModel(config as never, build);
  else throw new CheckpointError(source, 'holds an unknown model kind.', { received: metadata.kind, expected: "'vit' or 'gpt'", fix: 'pass a file written by saveModel().' });
  try {
    assignWeights(model, tensors, source, { ignoreExtra: options.ignoreExtra ?? false });
    for (const name of JSON.parse(metadata.frozen ?? '[]') as string[]) if (model.params.has(name)) model.setTrainable(name, false);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
