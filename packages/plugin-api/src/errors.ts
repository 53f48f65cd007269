/**
 * Every error class of the plugin API, in one file: each has a stable `code`, and a message with what
 * was received, what was expected and how to fix it. The engine (@flatsparse/core) adds its own in its
 * own errors.ts, on the same FlatsparseError base.
 */

/** The stable codes of the plugin API's errors (the engine's extend FlatsparseError with codes of their own). */
export type ErrorCode =
  | 'E_CONFIG_INVALID'
  | 'E_PLUGIN_INVALID'
  | 'E_PLUGIN_API_MISMATCH'
  | 'E_PLUGIN_NAME_CLASH'
  | 'E_PLUGIN_ORDER_CYCLE'
  | 'E_PLUGIN_HOOK'
  | 'E_PLUGIN_ASYNC_HOOK'
  | 'E_EVENT_UNKNOWN'
  | 'E_TOKEN_MISSING'
  | 'E_TOKEN_DUPLICATE'
  | 'E_CONTRIBUTION_UNKNOWN'
  | 'E_CONTRIBUTION_DUPLICATE'
  | 'E_UPDATE_METHOD_CONFLICT'
  | 'E_BACKEND_INIT'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_TENSOR_LEAK'
  | 'E_RUN_DISPOSED'
  | 'E_CONFORMANCE'
  | 'E_SHAPE'
  | 'E_DATA'
  | 'E_MODEL_CONFIG'
  | 'E_PLUGIN_NON_FINITE'
  | 'E_PLUGIN_LEAK'
  | 'E_PLUGIN_OWNERSHIP';

/** Parts of a message: what happened, what was received and expected, and how to fix it. */
export interface ErrorDetails {
  /** The offending value or a description of it. */
  readonly received?: unknown;
  /** What would have been accepted. */
  readonly expected?: string;
  /** A concrete step that fixes the problem. */
  readonly fix?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** Renders a value compactly for messages (never throws, never prints megabytes). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  } catch {
    return String(value);
  }
}

/** Base class: `code` is stable, `fix` says how to repair, `message` has all three parts. */
export class FlatsparseError extends Error {
  /** Stable code (`ErrorCode` here; the engine's errors have codes of their own). */
  readonly code: string;
  readonly fix: string | undefined;
  readonly received: unknown;
  readonly expected: string | undefined;

  constructor(code: ErrorCode | (string & {}), what: string, details: ErrorDetails = {}) {
    const parts = [what];
    if ('received' in details) parts.push(`Received: ${describeValue(details.received)}.`);
    if (details.expected !== undefined) parts.push(`Expected: ${details.expected}.`);
    if (details.fix !== undefined) parts.push(`Fix: ${details.fix}`);
    super(`[${code}] ${parts.join(' ')}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = details.fix;
    this.received = details.received;
    this.expected = details.expected;
  }
}

/** A configuration value failed validation; `path` points at the offending key. */
export class ConfigError extends FlatsparseError {
  readonly path: string;
  /** What is wrong, without the path prefix and the fix (for re-raising under another path). */
  readonly reason: string;
  readonly details: ErrorDetails;
  constructor(path: string, what: string, details: ErrorDetails = {}) {
    super('E_CONFIG_INVALID', `Invalid config at '${path || '(root)'}': ${what}`, details);
    this.path = path;
    this.reason = what;
    this.details = details;
  }

  /** The same error under another path (for example 'lr.warmupSteps' -> 'train.lr.warmupSteps'). */
  at(path: string): ConfigError {
    return new ConfigError(path, this.reason, this.details);
  }
}

/** A plugin object (or its options) does not have the required shape. */
export class PluginInvalidError extends FlatsparseError {
  readonly plugin: string;
  /** `origin`: where the plugin came from when it is not obvious (a config entry, a package and version). */
  constructor(plugin: string, what: string, details: ErrorDetails = {}, origin?: string) {
    super('E_PLUGIN_INVALID', `Plugin '${plugin}'${origin === undefined || origin === plugin ? '' : ` (${origin})`} is invalid: ${what}`, details);
    this.plugin = plugin;
  }
}

/** A plugin declares a plugin API range that the running @flatsparse/plugin-api does not satisfy. */
export class PluginApiMismatchError extends FlatsparseError {
  readonly plugin: string;
  constructor(plugin: string, range: string, apiVersion: string, origin?: string) {
    super('E_PLUGIN_API_MISMATCH', `Plugin '${plugin}'${origin === undefined || origin === plugin ? '' : ` (${origin})`} supports plugin API '${range}', but this is @flatsparse/plugin-api ${apiVersion}.`, {
      received: range,
      expected: `a semver range that includes ${apiVersion}`,
      fix: `install a version of '${plugin}' built for @flatsparse/plugin-api ${apiVersion} (its apiVersion range must include it), or a flatsparse release whose plugin API is inside '${range}'.`,
    });
    this.plugin = plugin;
  }
}

/** Two plugins (or two contributions of the same kind) share a name. */
export class PluginNameClashError extends FlatsparseError {
  constructor(name: string, first: string, second: string) {
    super('E_PLUGIN_NAME_CLASH', `Two plugins are named '${name}' (from ${first} and from ${second}).`, {
      expected: 'unique plugin names within a run',
      fix: 'remove one of them from the pipeline, or give one a different `name` option if it accepts one.',
    });
  }
}

/** Declared `before`/`after` constraints form a cycle. */
export class PluginOrderCycleError extends FlatsparseError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super('E_PLUGIN_ORDER_CYCLE', `Plugin ordering constraints form a cycle: ${cycle.join(' -> ')}.`, {
      expected: 'before/after declarations without cycles',
      fix: 'drop one of the before/after constraints on that cycle.',
    });
    this.cycle = cycle;
  }
}

/** A plugin failed inside a hook or a contribution; names the plugin, the event and the step. */
export class PluginError extends FlatsparseError {
  readonly plugin: string;
  readonly event: string;
  readonly step: number | undefined;
  constructor(plugin: string, event: string, step: number | undefined, cause: unknown, fix?: string) {
    const at = step === undefined ? '' : ` at step ${step}`;
    const why = cause instanceof Error ? cause.message : describeValue(cause);
    super('E_PLUGIN_HOOK', `Plugin '${plugin}' failed in '${event}'${at}: ${why}`, {
      fix: fix ?? `see the cause above; remove '${plugin}' from the pipeline to run without it.`,
      cause,
    });
    this.plugin = plugin;
    this.event = event;
    this.step = step;
  }
}

/** A hook of an in-step (synchronous) event returned a promise. */
export class PluginAsyncHookError extends FlatsparseError {
  constructor(plugin: string, event: string) {
    super('E_PLUGIN_ASYNC_HOOK', `Plugin '${plugin}' returned a promise from the synchronous event '${event}'.`, {
      expected: 'a synchronous handler: in-step events run inside the gradient tape',
      fix: `do asynchronous work in 'modelBuilt', 'evaluation' or 'end' instead of '${event}'.`,
    });
  }
}

/** An event name outside the closed vocabulary. */
export class UnknownEventError extends FlatsparseError {
  constructor(event: string, known: readonly string[], where: string) {
    super('E_EVENT_UNKNOWN', `Unknown event '${event}' in ${where}.`, {
      received: event,
      expected: `one of ${known.join(', ')}`,
      fix: 'use one of the listed event names (see docs/architecture.md, "Events of a training step").',
    });
  }
}

/** `ctx.get(token)` found nothing provided under that token. */
export class TokenMissingError extends FlatsparseError {
  constructor(token: string, requester: string) {
    super('E_TOKEN_MISSING', `'${requester}' asked for '${token}', but nothing provides it.`, {
      fix: `add the plugin that provides '${token}' to the pipeline, and order it before '${requester}' (order: { after: [...] }).`,
    });
  }
}

/** A token was provided twice. */
export class TokenDuplicateError extends FlatsparseError {
  constructor(token: string, first: string, second: string) {
    super('E_TOKEN_DUPLICATE', `'${token}' is provided by both '${first}' and '${second}'.`, {
      fix: 'keep only one provider of that token in the pipeline.',
    });
  }
}

/** A contribution (activation, metric, estimator, regularizer) was requested by a name nobody provides. */
export class ContributionUnknownError extends FlatsparseError {
  constructor(kind: string, name: string, known: readonly string[]) {
    super('E_CONTRIBUTION_UNKNOWN', `Unknown ${kind} '${name}'.`, {
      received: name,
      expected: known.length ? `one of ${known.join(', ')}` : `a ${kind} contributed by a plugin in the pipeline (none is)`,
      fix: `check the spelling, or add the plugin that contributes the ${kind} '${name}'.`,
    });
  }
}

/** Two plugins contribute the same kind of thing under one name. */
export class ContributionDuplicateError extends FlatsparseError {
  constructor(kind: string, name: string, first: string, second: string) {
    super('E_CONTRIBUTION_DUPLICATE', `The ${kind} '${name}' is contributed by both '${first}' and '${second}'.`, {
      fix: 'remove one of the two plugins, or rename one contribution.',
    });
  }
}

/** More than one plugin of a run contributes an update method: only one can choose the step's gradient. */
export class UpdateMethodConflictError extends FlatsparseError {
  constructor(methods: readonly { readonly name: string; readonly plugin: string }[]) {
    super('E_UPDATE_METHOD_CONFLICT', `A run takes at most one update method, but its plugins contribute ${methods.map((m) => `'${m.name}' (plugin '${m.plugin}')`).join(' and ')}.`, {
      received: methods.map((m) => m.name),
      expected: 'at most one update method (for example sam)',
      fix: 'remove all but one of these plugins from the pipeline.',
    });
  }
}

/** A backend was requested by name but cannot run here. */
export class BackendUnavailableError extends FlatsparseError {
  readonly backend: string;
  constructor(name: string, reason: string, fix: string, known: readonly string[], available: readonly string[]) {
    super(
      'E_BACKEND_UNAVAILABLE',
      `Backend '${name}' is not available: ${reason} Known backends: ${known.join(', ')}; available here: ${available.length ? available.join(', ') : 'none'}.`,
      { fix },
    );
    this.backend = name;
  }
}

/** A backend said it was available but failed to initialise. */
export class BackendInitError extends FlatsparseError {
  constructor(name: string, cause: unknown, fix: string) {
    super('E_BACKEND_INIT', `Backend '${name}' failed to initialise: ${cause instanceof Error ? cause.message : describeValue(cause)}`, {
      fix,
      cause,
    });
  }
}

/** Tensors were left allocated after a scope that must not leak. */
export class TensorLeakError extends FlatsparseError {
  readonly leaked: number;
  constructor(label: string, before: number, after: number) {
    super('E_TENSOR_LEAK', `${label} leaked ${after - before} tensor(s) (before: ${before}, after: ${after}).`, {
      expected: 'the tensor count back at its baseline',
      fix: 'wrap tensor work in tf.tidy(), dispose() intermediate tensors, and register a dispose step for long-lived ones.',
    });
    this.leaked = after - before;
  }
}

/** The run was already disposed. */
export class RunDisposedError extends FlatsparseError {
  constructor(action: string) {
    super('E_RUN_DISPOSED', `Cannot ${action}: the run was disposed.`, { fix: 'create a new run with createRun().' });
  }
}

/** A conformance case failed: names the case, the measured error and the tolerance. */
export class ConformanceError extends FlatsparseError {
  readonly caseName: string;
  constructor(caseName: string, what: string, fix = 'see the case in @flatsparse/plugin-api/testing for the reference it compares against.') {
    super('E_CONFORMANCE', `Conformance case '${caseName}' failed: ${what}`, { fix });
    this.caseName = caseName;
  }
}

/** A tensor or array has the wrong shape (names the tensor, the shape received and the one expected). */
export class ShapeError extends FlatsparseError {
  constructor(what: string, received: readonly number[], expected: string, fix: string) {
    super('E_SHAPE', `${what} has the wrong shape.`, { received, expected, fix });
  }
}

/** A data set could not be loaded or is malformed (names the source). */
export class DataError extends FlatsparseError {
  readonly source: string;
  constructor(source: string, what: string, details: ErrorDetails = {}) {
    super('E_DATA', `Data source '${source}': ${what}`, details);
    this.source = source;
  }
}

/** A model configuration is inconsistent (for example d not divisible by heads). */
export class ModelConfigError extends FlatsparseError {
  constructor(what: string, details: ErrorDetails = {}) {
    super('E_MODEL_CONFIG', `Invalid model configuration: ${what}`, details);
  }
}

/** A plugin produced a NaN or infinite value (a metric figure, a loss term, an estimate figure). */
export class PluginNonFiniteError extends FlatsparseError {
  readonly plugin: string;
  readonly event: string;
  readonly step: number | undefined;
  /** The value that was not finite (NaN, Infinity or -Infinity). */
  readonly value: number;
  constructor(plugin: string, event: string, step: number | undefined, what: string, value: number, fix?: string) {
    const at = step === undefined ? '' : ` at step ${step}`;
    super('E_PLUGIN_NON_FINITE', `Plugin '${plugin}' produced a non-finite value in '${event}'${at}: ${what} is ${value}.`, {
      expected: 'a finite number',
      fix: fix ?? `fix the computation in '${plugin}' (guard divisions with tf.divNoNan, keep logarithms away from 0), or remove '${plugin}' from the pipeline.`,
    });
    this.plugin = plugin;
    this.event = event;
    this.step = step;
    this.value = value;
  }
}

/** A plugin's hook or projection left tensors allocated. */
export class PluginLeakError extends FlatsparseError {
  readonly plugin: string;
  readonly event: string;
  readonly step: number | undefined;
  /** Tensors left allocated. */
  readonly leaked: number;
  constructor(plugin: string, event: string, step: number | undefined, leaked: number) {
    const at = step === undefined ? '' : ` at step ${step}`;
    super('E_PLUGIN_LEAK', `Plugin '${plugin}' left ${leaked} tensor(s) allocated in '${event}'${at}.`, {
      expected: 'hooks and projections that release every tensor they create',
      fix: "wrap tensor work in tf.tidy() and dispose() what you create; add tensors the plugin keeps for the whole run as parameters (model.addParam in 'modelBuilt', trainable false for state) or allocate them in setup() and release them with ctx.onDispose; tensors kept in 'beforeForward' must be released by the end of the same step.",
    });
    this.plugin = plugin;
    this.event = event;
    this.step = step;
    this.leaked = leaked;
  }
}

/** A plugin's hook assigned or disposed a tensor it does not own (a parameter, a payload tensor). */
export class PluginOwnershipError extends FlatsparseError {
  readonly plugin: string;
  readonly event: string;
  readonly step: number | undefined;
  /** The tensor, for example "parameter 'head.weight'" or 'batch.inputs'. */
  readonly tensor: string;
  /** What the plugin did to it. */
  readonly action: 'assigned' | 'disposed';
  constructor(plugin: string, event: string, step: number | undefined, tensor: string, action: 'assigned' | 'disposed') {
    const at = step === undefined ? '' : ` at step ${step}`;
    super('E_PLUGIN_OWNERSHIP', `Plugin '${plugin}' ${action} ${tensor} in '${event}'${at}, which it does not own.`, {
      expected: action === 'disposed' ? 'hooks that never dispose tensors of the payload or of the model' : 'hooks that leave parameters they did not add unchanged',
      fix:
        action === 'disposed'
          ? 'do not dispose tensors you receive: the trainer releases them after the event (copy with tf.clone to keep one).'
          : "change parameters in a regularizer's project() (projections may write parameters), or declare permissions: { writeParams: true } on the plugin if it must write them from hooks (and restores them, as SAM does).",
    });
    this.plugin = plugin;
    this.event = event;
    this.step = step;
    this.tensor = tensor;
    this.action = action;
  }
}
