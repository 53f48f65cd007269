import { FlatsparseError, type ErrorDetails } from '@flatsparse/plugin-api';

/**
 * The errors of `flatsparse compare`, each with a stable code and a message saying what was received,
 * what was expected and how to fix it:
 * - E_COMPARE_NOT_A_RUN: a path that is not a run directory (missing, a file, a folder of runs);
 * - E_COMPARE_NO_RECORDS: a run directory whose metrics.jsonl is missing or empty;
 * - E_COMPARE_CORRUPT_RUN: a metrics.jsonl line (or config.json) that cannot be read as a run wrote it;
 * - E_COMPARE_NOTHING_COMMON: runs of different tasks that share no figure to draw together;
 * - E_COMPARE_UNKNOWN_METRIC: a --metrics name that no run logged.
 */
export type CompareErrorCode = 'E_COMPARE_NOT_A_RUN' | 'E_COMPARE_NO_RECORDS' | 'E_COMPARE_CORRUPT_RUN' | 'E_COMPARE_NOTHING_COMMON' | 'E_COMPARE_UNKNOWN_METRIC';

/** A comparison that cannot be drawn from the run directories given. */
export class CompareError extends FlatsparseError {
  constructor(code: CompareErrorCode, what: string, details: ErrorDetails = {}) {
    super(code, what, details);
  }
}
