/** The instrumented Transformer models (ViT, GPT), their layers, loss and file format. */
export { TransformerModel, type ModelOptions, type TransformerShape } from './transformer-model.js';
export { VitModel, createVit } from './vit.js';
export { GptModel, createGpt } from './gpt.js';
export { INIT_SCHEMES, parseGptConfig, parseVitConfig, type InitScheme, type GptConfig, type GptConfigInput, type VitConfig, type VitConfigInput } from './model-config.js';
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
