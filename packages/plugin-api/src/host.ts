/**
 * @flatsparse/plugin-api/host: what an engine needs to run plugins the way the contract says: the
 * plugin host (contributions, hook dispatch in order, loss terms, the token store), plugin validation
 * and ordering, the hook guard (tensor ownership, non-finite figures), the errors they throw, and the
 * config-issue helpers every schema error message goes through. @flatsparse/core is such an engine;
 * the conformance kit ('./testing') is another user. Plugins never need this entry.
 */
export {
  ContributionDuplicateError,
  ContributionUnknownError,
  ConformanceError,
  PluginApiMismatchError,
  PluginAsyncHookError,
  PluginError,
  PluginInvalidError,
  PluginLeakError,
  PluginNameClashError,
  PluginNonFiniteError,
  PluginOrderCycleError,
  PluginOwnershipError,
  RunDisposedError,
  TensorLeakError,
  TokenDuplicateError,
  TokenMissingError,
  UnknownEventError,
  UpdateMethodConflictError,
  BackendUnavailableError,
  describeValue,
} from './errors.js';
export { PluginHost, isPreparedPlugins, preparePlugins, type LossTermsResult, type OwnedLossTerm, type PreparedPlugins } from './plugin-host.js';
export { sortPlugins } from './plugin-order.js';
export { validatePlugin, validatePlugins } from './plugin-validation.js';
export { createMapTokenStore, type TokenStore } from './token-store.js';
export { ContributionTable, collectContributions, type Contributed, type Contributions } from './contributions.js';
export { HookGuard, describePayloadTensor, payloadTensors, type HookGuardPolicy, type HookMark } from './faults/hook-guard.js';
export { checkFiniteFigures } from './faults/check-finite.js';
export { withLeakCheckSync } from './tensor-leaks.js';
export { closestName, describeSchema, explainIssue, keysAt } from './config-issues.js';
export { safeAvailability } from './backend.js';
export { plainOpsOnly, setPlainOpsOnly } from './kernels/plain-ops-mode.js';
