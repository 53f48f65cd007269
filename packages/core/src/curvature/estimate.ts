import type { EstimateCurve, EstimateRandomness, FlatnessEstimate } from '@flatsparse/plugin-api';
import type { CurvatureOperator } from './hvp.js';

/** What an algorithm returns that goes into a FlatnessEstimate. */
export interface CurvatureFigures {
  /** Named figures (for example `{ trace, traceStdErr }`). */
  readonly figures: Readonly<Record<string, number>>;
  /** Seed and number of probes. */
  readonly randomness?: EstimateRandomness;
}

/**
 * A FlatnessEstimate from an algorithm's result on `operator`: its figures and randomness, the passes
 * counted by the operator's evaluator (the 'auto' verification included) with the wall time since
 * `startedAt` (a `performance.now()` value), how products were computed, and optional curves.
 */
export function curvatureEstimate(operator: CurvatureOperator, startedAt: number, result: CurvatureFigures, curves?: Readonly<Record<string, EstimateCurve>>): FlatnessEstimate {
  return {
    figures: result.figures,
    cost: operator.evaluator.cost(startedAt),
    ...(result.randomness ? { randomness: result.randomness } : {}),
    method: { hvp: operator.method, reason: operator.reason },
    ...(curves ? { curves } : {}),
  };
}
