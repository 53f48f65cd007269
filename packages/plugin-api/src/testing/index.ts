/**
 * @flatsparse/plugin-api/testing: the conformance kit every backend and every plugin runs, third-party
 * ones included, and the synthetic fixtures plugin tests reuse. Framework-agnostic: the vitest
 * adapters (describeBackendConformance, describePluginConformance) live in '@flatsparse/plugin-api/testing/vitest'.
 */
export type { BackendConformanceOptions, CaseReport, CaseResult, ConformanceCase, ConformanceReport } from './types.js';
export { compareArrays, type Comparison, type Tolerance } from './compare.js';
export { backendConformanceCases } from './backend-cases.js';
export { REQUIRED_GRADIENTS } from './cases-setup.js';
export { caseSeed, runBackendConformance, runConformanceCase } from './backend-runner.js';
export { opCase, mergeParts, EXACT, FORWARD_TOL, GRAD_TOL, type OpCaseSpec } from './op-case.js';
export { bools, fixed, floats, ints, type CaseInput, type FloatDraw } from './inputs.js';
export { finiteDifferenceGrad } from './finite-difference.js';
export { reference } from './reference.js';
export type { Nd } from './reference-nd.js';
export {
  fakeBlockInfo,
  fakeCaptures,
  fakeModel,
  reluForTests,
  type FakeCaptures,
  type FakeCapturesOptions,
  type FakeModel,
  type FakeModelOptions,
  type RecordedTransform,
} from './fixtures.js';
export type { PluginCheck, PluginCheckResult, PluginConformanceOptions, PluginConformanceReport } from './plugin-types.js';
export { pluginConformanceChecks, runPluginCheck, runPluginConformance } from './plugin-runner.js';
export { checkDispatchOrder, type DispatchEntry, type DispatchRole } from './plugin-harness.js';
export { checkActivation } from './activation-check.js';
