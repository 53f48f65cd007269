import type { ActivationFunction } from './activation-function.js';
import type { PluginError } from './errors.js';
import type { EventName, EventPayloads } from './events.js';
import type { FlatnessEstimator } from './flatness-estimator.js';
import type { ModelArchitecture } from './model-architecture.js';
import type { Regularizer } from './regularizer.js';
import type { SparsityMetric } from './sparsity-metric.js';
import type { Token } from './token.js';
import type { UpdateMethod } from './update-method.js';

/** Handler of one event. In-step events (see SYNC_EVENTS) must return synchronously. */
export type HookHandler<E extends EventName> = (payload: EventPayloads[E], ctx: PluginContext) => void | Promise<void>;

/**
 * A hook: a handler, or `{ handler, order }` where 'pre' runs before and 'post' after every
 * 'normal' hook of the same event, whatever the plugin order.
 */
export type Hook<E extends EventName> = HookHandler<E> | { readonly handler: HookHandler<E>; readonly order?: HookOrder };

/** Bucket of a hook within an event. */
export type HookOrder = 'pre' | 'normal' | 'post';

/** Optional hooks, one per event of the closed vocabulary. */
export type PluginHooks = { readonly [E in EventName]?: Hook<E> };

/** Things a plugin adds to the pipeline, looked up by name from configs. */
export interface PluginContributions {
  /** Activation functions (chosen with `activation: name`). */
  readonly activations?: readonly ActivationFunction[];
  /** Sparsity metrics (listed under `metrics`). */
  readonly metrics?: readonly SparsityMetric[];
  /** Flatness estimators (listed under `estimators`). */
  readonly estimators?: readonly FlatnessEstimator[];
  /** Regularizers (active as soon as the plugin is in the pipeline). */
  readonly regularizers?: readonly Regularizer[];
  /** Step-level methods that choose the gradient the optimiser applies (at most one per run; for example SAM). */
  readonly updateMethods?: readonly UpdateMethod[];
  /** Model architectures (chosen with `model: { kind: name }`). */
  readonly models?: readonly ModelArchitecture[];
}

/** Declared permissions of a plugin. */
export interface PluginPermissions {
  /**
   * The plugin's hooks assign model parameters it did not add itself (for example SAM's ascent step
   * and its restoration). Without it, a hook that changes such a parameter fails the run with
   * E_PLUGIN_OWNERSHIP. Regularizer projections may always write parameters, and any hook may write
   * them in 'modelBuilt' (before training, for example to zero a LayerNorm shift).
   */
  readonly writeParams?: boolean;
  /**
   * The plugin's hooks keep tensors past the event on purpose (recorders that copy captures and read
   * them after the run): the host does not check them for leaks. Without it, tensors a hook leaves
   * allocated beyond the state it keeps from its first call fail the run with E_PLUGIN_LEAK.
   */
  readonly keepTensors?: boolean;
}

/** Declared ordering relative to other plugins, by name. Names of absent plugins are ignored. */
export interface PluginOrder {
  /** This plugin's hooks run before the named plugins' hooks. */
  readonly before?: readonly string[];
  /** This plugin's hooks run after the named plugins' hooks. */
  readonly after?: readonly string[];
}

/**
 * A plugin: a plain object returned by a factory such as `zerothBias(options)`. It never sees the
 * DI container; everything it may do goes through `PluginContext`.
 */
export interface Plugin {
  /** Unique name within a run (npm-style, for example 'zeroth-bias' or 'flatsparse-plugin-topk'). */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** Range of @flatsparse/plugin-api versions it supports (semver range, for example '^0.7.0'; see PLUGIN_API_VERSION). */
  readonly apiVersion: string;
  /** Ordering relative to other plugins. Without constraints, plugins run in name order. */
  readonly order?: PluginOrder;
  /** Activations, metrics, estimators, regularizers, update methods and model architectures the plugin contributes. */
  readonly contributes?: PluginContributions;
  /** Hooks on training events. */
  readonly hooks?: PluginHooks;
  /** What the plugin may do beyond its own tensors (checked by the host; undeclared writes are faults). */
  readonly permissions?: PluginPermissions;
  /** Called once when the run is composed, in plugin order, before any event. */
  setup?(ctx: PluginContext): void | Promise<void>;
  /** Returns the plugin's state as JSON-serialisable data, written into every checkpoint. */
  saveState?(): unknown;
  /** Restores state written by `saveState` when a run resumes from a checkpoint (before 'modelBuilt'). */
  loadState?(state: unknown): void;
}

/** The narrow context a plugin gets in `setup` and in every hook. */
export interface PluginContext {
  /** Name of the plugin this context belongs to. */
  readonly pluginName: string;
  /** Makes a value available to other plugins under a typed token (once per token per run). */
  provide<T>(token: Token<T>, value: T): void;
  /** Gets a value provided under a token; throws E_TOKEN_MISSING if nobody provided it. */
  get<T>(token: Token<T>): T;
  /** Gets a value provided under a token, or undefined. */
  tryGet<T>(token: Token<T>): T | undefined;
  /** Registers a step run when the run is disposed (in reverse order of registration). */
  onDispose(fn: () => void | Promise<void>): void;
  /** Builds an error attributed to this plugin (throw it). */
  error(message: string, options?: { readonly fix?: string; readonly cause?: unknown; readonly event?: string; readonly step?: number }): PluginError;
}

/** Identity helper that gives a plugin object literal its type (no registration happens). */
export function definePlugin<P extends Plugin>(plugin: P): P {
  return plugin;
}
