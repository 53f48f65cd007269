/**
 * @flatsparse/core: the public API. Everything a plugin or backend author may use is exported here
 * (and the conformance kit from '@flatsparse/core/testing'). test/api-surface.test.ts records this API,
 * types included, in packages/core/api-report.md with CORE_API_VERSION.
 */
export { CORE_API_VERSION } from './version.js';
export * from './errors.js';
export { createToken, type Token } from './token.js';
export { interval, inInterval, maskInIntervals, type Interval } from './interval.js';
export type { ActivationContext, ActivationFunction } from './activation-function.js';
export type { ForwardOptions, ForwardResult, MlpBlockInfo, MlpProbes, MlpTransform, ModelView, ParamOptions, TrainableModel } from './model.js';
export type { DataSplit, Dataset, TensorBatch } from './dataset.js';
export type { MlpCapture } from './mlp-capture.js';
export type { MetricValue, SparsityMetric } from './sparsity-metric.js';
export type { EstimateCost, EstimateCurve, EstimateRandomness, FlatnessEstimate, FlatnessEstimator, FlatnessInput, LossClosure } from './flatness-estimator.js';
export { constantSchedule, rampSchedule, type Schedule } from './schedule.js';
export type { LossTermInput, Regularizer } from './regularizer.js';
export { EVENT_NAMES, SYNC_EVENTS, isEventName, type Batch, type EventName, type EventPayloads } from './events.js';
export {
  definePlugin,
  type Hook,
  type HookHandler,
  type HookOrder,
  type LossTerm,
  type Plugin,
  type PluginContext,
  type PluginContributions,
  type PluginHooks,
  type PluginOrder,
  type PluginPermissions,
} from './plugin.js';
export { sortPlugins } from './plugin-order.js';
export { validatePlugin, validatePlugins } from './plugin-validation.js';
export { createMapTokenStore, type TokenStore } from './token-store.js';
export { ContributionTable, collectContributions, type Contributed, type Contributions } from './contributions.js';
export { PluginHost, type LossTermsResult, type OwnedLossTerm } from './plugin-host.js';
export type { Availability, Backend, BackendCapabilities, BackendInfo } from './backend.js';
export { BackendRegistry, safeAvailability, type BackendSelection, type SkippedBackend } from './backend-registry.js';
export { countTensors, withLeakCheck, withLeakCheckSync } from './tensor-leaks.js';
export { CoreTokens } from './core-tokens.js';
export { createRun, type Run, type RunOptions } from './composition-root.js';
export { Rng } from './random.js';
export { writeDirAtomic, writeFileAtomic } from './io/atomic-write.js';
export { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type StoredTensor } from './io/safetensors.js';
export { registerGradients } from './gradients.js';
export { FusedKernel, hasFusedKernel, runFused, type FusedKernelName } from './kernels/fused-kernels.js';
export { outsideIndicator } from './kernels/interval-indicator.js';
export { intervalCounts, maskedRowSumSquares, rowSumSquares, sharedOutsideIndicator, type IntervalCounts } from './kernels/metric-ops.js';
export * from './models/index.js';
export { recordsToCsv, type FigureValue, type RunRecord } from './report/run-record.js';
export { renderReport, type ReportInput } from './report/html-report.js';
export { RunDirectory } from './report/run-directory.js';
export { runDirectoryOf, type RunDirectoryPlan } from './report/run-dir-plan.js';
export type { RunState, RunStatus } from './report/run-status.js';
export { lineChart, type ChartOptions, type ChartSeries } from './report/svg-chart.js';
export * from './pipeline/index.js';
export * from './train/index.js';
export { parseOptions } from './train/parse-options.js';
export * from './flatness/index.js';
export * from './plugin-loader.js';
export type * from './plugin-module.js';
export * from './faults/index.js';
export * from './curvature/index.js';
export { describeSchema, explainIssue } from './config-issues.js';
