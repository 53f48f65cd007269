/** The instrumented Transformer models (the built-in model plugins, one folder each), their layers, loss and file format. */
export { TransformerModel, type ModelOptions, type TransformerShape } from './transformer-model.js';
export { VitModel, createVit, parseVitConfig, vitArchitecture, vitModel, type VitConfig, type VitConfigInput } from './vit/index.js';
export { GptModel, createGpt, gptArchitecture, gptModel, parseGptConfig, type GptConfig, type GptConfigInput } from './gpt/index.js';
export { INIT_SCHEMES, type InitScheme } from './model-config.js';
export { builtinModelPlugins } from './builtin-models.js';
export { modelPlugin } from './model-plugin.js';
export { accuracy, softmaxCrossEntropy } from './loss.js';
export { instrumentedMlp, type MlpPass, type MlpTransforms, type MlpWeights } from './mlp-block.js';
export { layerNorm } from './layer-norm.js';
export { linear } from './linear.js';
export { selfAttention, type AttentionParams } from './attention.js';
export { embedPatches, embedTokens, patchify } from './embeddings.js';
export {
  MODEL_FORMAT_VERSION,
  assignWeights,
  collectWeights,
  decodeModel,
  encodeModel,
  loadModel,
  loadWeightsInto,
  modelMetadata,
  saveModel,
  type LoadModelOptions,
  type SavableModel,
} from './serialization.js';
