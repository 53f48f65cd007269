/**
 * @flatsparse/core: the engine. Models with gradient probes, AdamW, the trainer and its step, pipelines
 * composed from plugins, curvature algorithms and the flatness estimators built on them, reports, run
 * directories, safetensors I/O, plugin loading and the composition root. The contract plugins and
 * backends are written against is @flatsparse/plugin-api (its own package and version); this package
 * re-exports none of it. test/api-surface.test.ts records this API, types included, in
 * packages/core/api-report.md with CORE_API_VERSION.
 */
export { CORE_API_VERSION } from './version.js';
export * from './errors.js';
export { BackendRegistry, type BackendSelection, type SkippedBackend } from './backend-registry.js';
export { createRun, type Run, type RunOptions } from './composition-root.js';
export { writeDirAtomic, writeFileAtomic } from './io/atomic-write.js';
export { acquireRunLock, assertLockHeld, LOCK_FILE, ownerState, readLock, RunLockedError, RunLockLostError, type AcquireOptions, type LockOwner, type LockTiming, type OwnerState, type RunLock } from './io/run-lock.js';
export { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type StoredTensor } from './io/safetensors.js';
export { registerGradients } from './gradients.js';
export * from './models/index.js';
export { recordsToCsv, type FigureValue, type RunRecord } from './report/run-record.js';
export { LEGACY_NAMES, upgradeFigureKey, upgradeFlatnessRecord, upgradeName, upgradeRecord } from './report/legacy-names.js';
export { renderReport, type ReportInput } from './report/html-report.js';
export { RunDirectory } from './report/run-directory.js';
export { runDirectoryOf, type RunDirectoryPlan } from './report/run-dir-plan.js';
export type { RunState, RunStatus } from './report/run-status.js';
export { CHART_PALETTE, chartScripts, chartStyles, lineChart, type ChartOptions, type ChartSeries } from './report/chart.js';
export * from './pipeline/index.js';
export * from './train/index.js';
export * from './flatness/index.js';
export * from './plugin-loader.js';
export * from './faults/index.js';
export * from './curvature/index.js';
