import { type ActivationFunction, type Dataset, ModelConfigError } from '@flatsparse/plugin-api';
import { createGpt, createVit, parseGptConfig, parseVitConfig, type GptModel, type VitModel, type GptConfig, type GptConfigInput, type VitConfig, type VitConfigInput } from '../models/index.js';

/** Which model to build, with its config; sizes the data determines may be left out. */
export type ModelSpec =
  | { readonly kind: 'vit'; readonly config: Partial<VitConfigInput> & Pick<VitConfigInput, 'patch' | 'd' | 'depth' | 'heads' | 'mlpWidth'> }
  | { readonly kind: 'gpt'; readonly config: Partial<GptConfigInput> & Pick<GptConfigInput, 'd' | 'depth' | 'heads' | 'mlpWidth'> };

/** A model config completed from the data and validated. */
export type ResolvedModel = { readonly kind: 'vit'; readonly config: VitConfig } | { readonly kind: 'gpt'; readonly config: GptConfig };

/**
 * Completes and validates a model config for a data set (pure; call before any work starts): the ViT
 * takes imageSize, channels and classes from image data, the GPT takes vocab and seqLen from text data,
 * unless the config sets them, in which case they must agree. Throws E_MODEL_CONFIG naming the key.
 */
export function resolveModel(spec: ModelSpec, dataset: Dataset): ResolvedModel {
  if (spec.kind === 'vit') {
    if (dataset.kind !== 'image') throw mismatch('model.kind', 'vit', `data set '${dataset.name}' is ${dataset.kind} data`, "use model.kind 'gpt' for text, or an image data set");
    const [h, w, c] = dataset.train.inputShape;
    const config = { imageSize: [h!, w!] as [number, number], channels: c ?? 1, classes: dataset.classes, ...spec.config };
    agree('model.imageSize', config.imageSize, [h, w]);
    agree('model.channels', config.channels, c ?? 1);
    agree('model.classes', config.classes, dataset.classes);
    return { kind: 'vit', config: parseVitConfig(config) };
  }
  if (dataset.kind !== 'text') throw mismatch('model.kind', 'gpt', `data set '${dataset.name}' is ${dataset.kind} data`, "use model.kind 'vit' for images, or a text data set");
  const seqLen = dataset.train.inputShape[0]!;
  const config = { vocab: dataset.classes, seqLen, ...spec.config };
  agree('model.vocab', config.vocab, dataset.classes);
  if (config.seqLen < seqLen) throw mismatch('model.seqLen', config.seqLen, `the data has sequences of ${seqLen} tokens`, `set model.seqLen >= ${seqLen} (or leave it out)`);
  return { kind: 'gpt', config: parseGptConfig(config) };
}

/** Builds the model of a resolved config with an activation and an initialisation seed. */
export function buildModel(model: ResolvedModel, activation: ActivationFunction, seed: number): VitModel | GptModel {
  return model.kind === 'vit' ? createVit(model.config, { activation, seed }) : createGpt(model.config, { activation, seed });
}

function agree(key: string, configured: unknown, fromData: unknown): void {
  if (JSON.stringify(configured) !== JSON.stringify(fromData)) throw mismatch(key, configured, `the data set has ${JSON.stringify(fromData)}`, `set ${key} to ${JSON.stringify(fromData)} or leave it out`);
}

function mismatch(key: string, received: unknown, why: string, fix: string): ModelConfigError {
  return new ModelConfigError(`'${key}' does not fit the data: ${why}.`, { received, fix: `${fix}.` });
}
