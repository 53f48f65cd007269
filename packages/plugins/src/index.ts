/** @flatsparse/plugins: built-in plugins, written against the public plugin API. Nothing registers on import. */
export { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from './plugin-meta.js';
export { builtinPlugins, createBuiltinPlugin, type BuiltinPlugin, type BuiltinPluginKind } from './catalog.js';

export { erf, normalCdf, normalDensity } from './activations/erf.js';
export { relu, reluActivation, type ReluOptions } from './activations/relu.js';
export { gelu, geluActivation, type GeluOptions } from './activations/gelu.js';
export { silu, siluActivation, type SiluOptions } from './activations/silu.js';
export { elu, eluActivation, type EluOptions } from './activations/elu.js';
export { squaredRelu, squaredReluActivation, type SquaredReluOptions } from './activations/squared-relu.js';
export { shiftedRelu, shiftedReluActivation, type ShiftedReluOptions } from './activations/shifted-relu.js';
export {
  S_SHAPED_HALF_WIDTH,
  sShapedSquaredRelu,
  sShapedSquaredReluActivation,
  type SShapedSquaredReluOptions,
} from './activations/s-shaped-squared-relu.js';

export { activationSparsity, activationSparsityMetric, activationSparsityOf, type ActivationSparsityOptions } from './metrics/activation-sparsity.js';
export { derivativeSparsity, derivativeSparsityMetric, derivativeSparsityOf, type DerivativeSparsityOptions } from './metrics/derivative-sparsity.js';
export { deadNeurons, deadNeuronsMetric, deadNeuronsOf, type DeadNeuronsOptions } from './metrics/dead-neurons.js';
export { topkSparsity, topkSparsityMetric, topkSparsityOf, type TopkSparsityOptions } from './metrics/topk-sparsity.js';
export { layerNormScale, layerNormScaleMetric, layerNormScaleOf, type LayerNormScaleOptions } from './diagnostics/layer-norm-scale.js';
export { activeSlope, activeSlopeMetric, activeSlopeOf, type ActiveSlopeOptions } from './diagnostics/active-slope.js';
export { activationRatio, activationRatioMetric, activationRatioOf, type ActivationRatioOptions } from './diagnostics/activation-ratio.js';

export {
  augmentedFlatness,
  augmentedFlatnessMetric,
  augmentedFlatnessOf,
  type AugmentedFlatnessFigures,
  type AugmentedFlatnessOptions,
} from './flatness/augmented-flatness.js';

export { prosparseSchedule, weightSchedule, type ProsparseStage, type WeightScheduleSpec } from './regularizers/weight-schedule.js';
export { l1Activation, l1ActivationLoss, l1ActivationRegularizer, type L1ActivationOptions } from './regularizers/l1-activation.js';

// The paper's three methods (M1, M2, M3) and the presets combining them (methods/README.md).
export { addZerothBiases, clipZerothBias, zerothBias, zerothBiasName, zerothBiasRegularizer, zerothBiasStatsOf, type ZerothBiasOptions } from './methods/zeroth-bias.js';
export {
  DEFAULT_RAMP_STEPS,
  layerNormScaleBound,
  restrictedLayerNorm,
  restrictedLayerNormRegularizer,
  restrictLayerNormScale,
  restrictLayerNorms,
  type RestrictedLayerNormOptions,
} from './methods/restricted-layer-norm.js';
export { DEFAULT_MIX_STEPS, jSquaredReLU, jSquaredReLUActivation, type JSquaredReLUOptions } from './methods/j-squared-relu.js';
export {
  J_SQUARED_RELU_KNEE,
  J_SQUARED_RELU_SLOPE,
  jSquaredReLUDerivative,
  jSquaredReLUForward,
  jSquaredReLUMixWeight,
  jSquaredReLUReference,
} from './methods/j-squared-relu-math.js';
export {
  averageSharpness,
  averageSharpnessEstimator,
  hessianEigenvalues,
  hessianEigenvaluesEstimator,
  hessianSpectrum,
  hessianSpectrumEstimator,
  hessianTrace,
  hessianTraceEstimator,
  worstCaseSharpness,
  worstCaseSharpnessEstimator,
  type AverageSharpnessPluginOptions,
  type HessianEigenvaluesOptions,
  type HessianOptions,
  type HessianSpectrumOptions,
  type HessianTraceOptions,
  type WorstCaseSharpnessPluginOptions,
} from './flatness/curvature-estimators.js';
export { sam, samPerturbation, type SamOptions, type SamPerturbationOptions } from './methods/sam.js';
export { SPARSIFIED_ARMS, sparsified, sparsifiedActivation, sparsifiedFinetune, type SparsifiedArm, type SparsifiedOptions } from './methods/sparsified.js';
