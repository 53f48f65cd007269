/**
 * Curvature layer: the Hessian of a loss over a named parameter subset as a linear operator on host
 * float64 vectors (Hessian-vector products on the tfjs device, by finite differences or double
 * backward), and the algorithms on such operators (Hutchinson trace, Lanczos / power iteration,
 * stochastic Lanczos quadrature). Estimator plugins are built on top of it.
 */
export { paramPredicate, selectParams, readParams, snapshotParams, setParams, splitVector, flattenTensors, type ParamFilter, type ParamSnapshot, type ParamSubset } from './param-vector.js';
export { LossEvaluator, type PassCounts } from './loss-evaluator.js';
export { withTapeRelease } from '../tape-release.js';
export { denseOperator, type LinearOperator } from './operator.js';
export { createHvpOperator, DEFAULT_HVP_TOLERANCE, DEFAULT_RELATIVE_STEP, type CurvatureOperator, type HvpMethod, type HvpOptions } from './hvp.js';
export { estimateTrace, type TraceOptions, type TraceResult } from './hutchinson.js';
export { topEigenvalues, type TopEigenOptions, type TopEigenResult } from './eigen.js';
export { spectralDensity, type SlqOptions, type SlqResult } from './slq.js';
export { lanczos, type LanczosRun } from './lanczos.js';
export { symmetricEigen, tridiagonalEigen, type SymmetricEigen } from './linalg.js';
export { curvatureEstimate, type CurvatureFigures } from './estimate.js';
export { estimateAverageSharpness, estimateWorstCaseSharpness, type AverageSharpnessEstimate, type AverageSharpnessOptions, type WorstCaseSharpnessEstimate, type WorstCaseSharpnessOptions } from './sharpness.js';
