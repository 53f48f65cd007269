/** Scheduling flatness estimators during training and on saved checkpoints, and their report section. */
export { EstimatorRunner, type EstimatorSchedule, type FlatnessBatchSettings, type FlatnessRecord } from './estimator-runner.js';
export { estimateCheckpoints, listCheckpoints, type CheckpointEstimateOptions } from './estimate-checkpoints.js';
export { flatnessSection, renderFlatnessReport } from './flatness-report.js';
