import { FlatsparseError, type ErrorDetails } from '@flatsparse/plugin-api';

/**
 * The errors of sweeps, in one file (the configs' own are ConfigError, E_CONFIG_INVALID, naming the key):
 * each has a stable code and a message with what was received, what was expected and how to fix it.
 */

/** A sweep task whose run is not the one submitted: the sweep file (or flatsparse) changed since. */
export class SweepTaskError extends FlatsparseError {
  constructor(path: string, index: number, expected: string, actual: string) {
    super('E_SWEEP_CHANGED', `Run ${index} of the sweep '${path}' is no longer the run submitted: its id is ${actual} now.`, {
      received: actual,
      expected: `run id ${expected}, as when the sweep was submitted`,
      fix: 'do not edit a sweep file (or upgrade flatsparse) while its runs are queued: restore it, or cancel the queued runs and submit it again.',
    });
  }
}

/** A scheduler could not be used: its command is missing or failed, or its server cannot be reached. */
export class SweepEngineError extends FlatsparseError {
  readonly engine: string;
  constructor(engine: string, what: string, details: ErrorDetails = {}) {
    super('E_SWEEP_ENGINE', `Engine '${engine}': ${what}`, details);
    this.engine = engine;
  }
}
