/** Isolation of plugin faults: the fault policy, finite checks for estimates and failure records. */
export { describeFailure, type RunFailure, type RunWarning } from './fault-records.js';
export type { FaultPolicy, MetricFaultPolicy } from './metric-faults.js';
export { asOutOfMemory, OutOfMemoryError } from './out-of-memory.js';
