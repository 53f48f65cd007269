import type { BackendInfo } from '../backend.js';
import type { Rng } from '../random.js';

/** Outcome of one conformance case: the worst error found and the tolerance it was held to. */
export interface CaseResult {
  /** Whether every comparison of the case was within its tolerance. */
  readonly passed: boolean;
  /** Largest absolute difference from the reference (of the worst comparison). */
  readonly maxAbsError: number;
  /** The tolerance that comparison was held to. */
  readonly tolerance: number;
  /** What was compared, with errors and tolerances (for reports). */
  readonly detail?: string;
}

/** One backend conformance case: framework-agnostic data, runnable by any test runner or the CLI. */
export interface ConformanceCase {
  /** Unique name, for example 'matMul 2-D transposeB'. */
  readonly name: string;
  /** Group for reports: 'setup', 'unary', 'binary', 'reduction', 'matmul', 'shape' or 'composite'. */
  readonly group: string;
  /** Runs the case on the active tfjs backend with inputs drawn from `rng`; must dispose every tensor it makes. */
  run(rng: Rng): CaseResult | Promise<CaseResult>;
}

/** One row of a conformance report. */
export interface CaseReport {
  readonly name: string;
  readonly group: string;
  /** Passed its comparisons, threw nothing and leaked nothing. */
  readonly passed: boolean;
  readonly maxAbsError: number;
  readonly tolerance: number;
  /** Tensors left allocated by the case (any positive count fails it). */
  readonly leaked: number;
  /** The comparisons made (from CaseResult.detail). */
  readonly detail?: string;
  /** The error the case threw, with a fix where one is known. */
  readonly error?: string;
}

/** What `runBackendConformance` returns (the CLI prints it as a table). */
export interface ConformanceReport {
  /** What the backend reported from `init()`. */
  readonly backend: BackendInfo;
  /** One row per case, in suite order. */
  readonly results: readonly CaseReport[];
  /** Whether every case passed. */
  readonly passed: boolean;
}

/** Options of the backend suite. */
export interface BackendConformanceOptions {
  /** Seed of the random inputs (default 1). Each case draws from its own stream derived from seed and name. */
  readonly seed?: number;
  /** Runs only the cases whose name passes. */
  readonly filter?: (name: string) => boolean;
  /**
   * Runs after the backend's init() and before the cases, for what the engine does at that point
   * (@flatsparse/core passes its registerGradients; see engineConformance in '@flatsparse/core/testing').
   */
  readonly setup?: () => Promise<void> | void;
  /** Cases run after the kit's own (the engine's model-op cases, a backend's own): names must stay unique. */
  readonly extraCases?: readonly ConformanceCase[];
}
