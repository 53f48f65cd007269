/**
 * @flatsparse/plugin-api: the contract a plugin or backend author depends on. The extension
 * interfaces (activation functions, sparsity metrics, flatness estimators, regularizers, model architectures), the plugin
 * object and its context, the events of a training step, coded errors, intervals, schedules, the
 * backend interface and the fused-kernel names a backend may implement. No Node built-ins: it runs in
 * a browser as it is. The engine that runs plugins lives in @flatsparse/core, with its own version;
 * engines use '@flatsparse/plugin-api/host', and tests '@flatsparse/plugin-api/testing'.
 * test/api-surface.test.ts records every entry, types included, in packages/plugin-api/api-report.md
 * with PLUGIN_API_VERSION.
 */
export { PLUGIN_API_VERSION } from './version.js';
export { BackendInitError, ConfigError, DataError, FlatsparseError, ModelConfigError, ShapeError, type ErrorCode, type ErrorDetails } from './errors.js';
export { createToken, type Token } from './token.js';
export { interval, inInterval, maskInIntervals, type Interval } from './interval.js';
export type { ActivationContext, ActivationFunction } from './activation-function.js';
export type { ForwardOptions, ForwardResult, MlpBlockInfo, MlpProbes, MlpTransform, ModelView, ParamOptions, TrainableModel } from './model.js';
export type { DataSplit, Dataset, TensorBatch } from './dataset.js';
export type { ModelArchitecture, ModelBuildOptions, ModelDataFacts, ModelParameter } from './model-architecture.js';
export type { MlpCapture } from './mlp-capture.js';
export type { MetricValue, SparsityMetric } from './sparsity-metric.js';
export type { EstimateCost, EstimateCurve, EstimateRandomness, FlatnessEstimate, FlatnessEstimator, FlatnessInput, LossClosure } from './flatness-estimator.js';
export { constantSchedule, rampSchedule, type Schedule } from './schedule.js';
export type { LossTermInput, Regularizer } from './regularizer.js';
export type { GradientMap, UpdateInput, UpdateMethod } from './update-method.js';
export { EVENTS, EVENT_NAMES, STEP_EVENTS, SYNC_EVENTS, isEventName, type Batch, type EventName, type EventPayloads, type EventSpec } from './events.js';
export {
  definePlugin,
  type Hook,
  type HookHandler,
  type HookOrder,
  type Plugin,
  type PluginContext,
  type PluginContributions,
  type PluginHooks,
  type PluginOrder,
  type PluginPermissions,
} from './plugin.js';
export type { PluginFactory, PluginModule, StandardSchemaV1 } from './plugin-module.js';
export type { Availability, Backend, BackendCapabilities, BackendInfo } from './backend.js';
export { countTensors, withLeakCheck } from './tensor-leaks.js';
export { CoreTokens } from './core-tokens.js';
export { Rng } from './random.js';
export { isRegExpSource, parseOptions, type OptionsOwner } from './parse-options.js';
export { FusedKernel, hasFusedKernel, runFused, type FusedKernelName } from './kernels/fused-kernels.js';
export { outsideIndicator } from './kernels/interval-indicator.js';
export { intervalCounts, maskedRowSumSquares, outsideRowSumSquares, rowSumSquares, sharedOutsideIndicator, type IntervalCounts } from './kernels/metric-ops.js';
