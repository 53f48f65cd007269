import * as tf from '@tensorflow/tfjs-core';
import { collectContributions, type Contributions } from './contributions.js';
import { FlatsparseError, PluginAsyncHookError, PluginError, RunDisposedError, TokenMissingError, UpdateMethodConflictError } from './errors.js';
import type { UpdateMethod } from './update-method.js';
import { SYNC_EVENTS, type EventName, type EventPayloads } from './events.js';
import { HookGuard, describePayloadTensor, payloadTensors } from './faults/hook-guard.js';
import type { ModelView } from './model.js';
import type { Hook, HookHandler, HookOrder, Plugin, PluginContext } from './plugin.js';
import { sortPlugins } from './plugin-order.js';
import { validatePlugins } from './plugin-validation.js';
import type { LossTermInput } from './regularizer.js';
import type { Schedule } from './schedule.js';
import { createMapTokenStore, type TokenStore } from './token-store.js';

interface Listener {
  readonly plugin: string;
  readonly rank: number;
  readonly bucket: number;
  readonly seq: number;
  readonly handler: HookHandler<EventName>;
}

const BUCKET: Record<HookOrder, number> = { pre: 0, normal: 1, post: 2 };

/** A regularizer's loss term and the plugin it belongs to (a Regularizer's `lossTerm` is the one way to add a loss term). */
export interface OwnedLossTerm {
  readonly plugin: string;
  readonly term: { readonly name: string; readonly weight?: Schedule; compute(input: LossTermInput): tf.Scalar };
}

/** The weighted sum of every loss term at a step, and each weighted term (for the loss breakdown). */
export interface LossTermsResult {
  readonly total: tf.Scalar;
  readonly terms: Readonly<Record<string, tf.Scalar>>;
}

/**
 * Runs the plugins of one run: sorts them by their declared order, calls `setup`, dispatches events
 * to hooks in order (pre/normal/post buckets, then plugin order), and attributes every failure to the
 * plugin, the event and the step. Around every hook and projection a HookGuard checks, without any
 * read-back, that the plugin does not accumulate tensors (E_PLUGIN_LEAK) and does not assign or
 * dispose tensors it does not own (E_PLUGIN_OWNERSHIP); see faults/hook-guard.ts. It holds no DI
 * container: tokens go through a TokenStore.
 */
export class PluginHost {
  /** The plugins in run order. */
  readonly plugins: readonly Plugin[];
  /** Activations, metrics, estimators and regularizers contributed by the plugins. */
  readonly contributions: Contributions;
  private readonly listeners = new Map<EventName, Listener[]>();
  private readonly lossTermList: OwnedLossTerm[] = [];
  private readonly disposers: { plugin: string; fn: () => void | Promise<void> }[] = [];
  private readonly guard: HookGuard;
  private seq = 0;
  private disposed = false;

  private constructor(prepared: PreparedPlugins, private readonly store: TokenStore) {
    this.plugins = prepared.plugins;
    this.contributions = prepared.contributions;
    const allowed = (key: 'writeParams' | 'keepTensors') => new Set(this.plugins.filter((p) => p.permissions?.[key] === true).map((p) => p.name));
    const writers = allowed('writeParams');
    const keepers = allowed('keepTensors');
    this.guard = new HookGuard({
      writeParams: (plugin) => writers.has(plugin),
      keepTensors: (plugin) => keepers.has(plugin),
      hasDisposeStep: (plugin) => this.disposers.some((d) => d.plugin === plugin),
    });
  }

  /**
   * Builds a host and runs every plugin's `setup` in order. Pass what `preparePlugins` returned (the
   * plugins are then not checked, ordered or collected again), or plugin objects that are already
   * valid (they are ordered and collected here; tests and the conformance kit do this).
   */
  static async create(plugins: readonly Plugin[] | PreparedPlugins, store: TokenStore = createMapTokenStore()): Promise<PluginHost> {
    const host = new PluginHost(isPreparedPlugins(plugins) ? plugins : prepare(plugins as readonly Plugin[]), store);
    host.plugins.forEach((plugin, rank) => {
      for (const [event, hook] of Object.entries(plugin.hooks ?? {})) host.addListener(plugin.name, rank, event as EventName, hook as Hook<EventName>);
      for (const reg of plugin.contributes?.regularizers ?? []) {
        const compute = reg.lossTerm;
        if (compute) host.lossTermList.push({ plugin: plugin.name, term: { name: reg.name, weight: reg.weight, compute: (input) => compute.call(reg, input) } });
      }
    });
    for (const plugin of host.plugins) {
      if (!plugin.setup) continue;
      try {
        await plugin.setup(host.contextFor(plugin.name));
      } catch (err) {
        await host.dispose().catch(() => undefined);
        throw attribute(plugin.name, 'setup', undefined, err);
      }
    }
    return host;
  }

  /** Dispatches an in-step event synchronously; a handler returning a promise is an error. */
  emitSync<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    this.assertLive(`emit '${event}'`);
    const listeners = this.listeners.get(event) ?? [];
    const step = stepOf(payload);
    this.guard.begin(event, payload, listeners.length);
    const tensors = listeners.length === 0 ? [] : payloadTensors(event, payload);
    const describe = (i: number): string => describePayloadTensor(event, payload, i);
    for (const l of listeners) {
      const mark = this.guard.enter();
      let result: unknown;
      try {
        result = l.handler(payload as EventPayloads[EventName], this.contextFor(l.plugin));
      } catch (err) {
        throw attribute(l.plugin, event, step, err);
      }
      if (isPromise(result)) {
        result.catch(() => undefined);
        throw new PluginAsyncHookError(l.plugin, event);
      }
      this.guard.exit(l.plugin, event, step, mark, tensors, describe);
    }
    this.guard.end(event);
  }

  /** Dispatches any event, awaiting each handler in order. */
  async emit<E extends EventName>(event: E, payload: EventPayloads[E]): Promise<void> {
    this.assertLive(`emit '${event}'`);
    if (SYNC_EVENTS.has(event)) return this.emitSync(event, payload);
    const listeners = this.listeners.get(event) ?? [];
    const step = stepOf(payload);
    this.guard.begin(event, payload, listeners.length);
    for (const l of listeners) {
      const mark = this.guard.enter();
      try {
        await l.handler(payload as EventPayloads[EventName], this.contextFor(l.plugin));
      } catch (err) {
        throw attribute(l.plugin, event, step, err);
      }
      this.guard.exit(l.plugin, event, step, mark);
    }
    this.guard.end(event);
  }

  /** The names of the plugins listening to an event, in dispatch order (for docs and tests). */
  listenersOf(event: EventName): string[] {
    return (this.listeners.get(event) ?? []).map((l) => l.plugin);
  }

  /** Every loss term, in plugin order. */
  get lossTerms(): readonly OwnedLossTerm[] {
    return this.lossTermList;
  }

  /** Weighted sum of all loss terms; call inside the gradient tape. Returns undefined if there are none. */
  computeLossTerms(input: LossTermInput): LossTermsResult | undefined {
    if (this.lossTermList.length === 0) return undefined;
    const terms: Record<string, tf.Scalar> = {};
    let total: tf.Scalar | undefined;
    for (const { plugin, term } of this.lossTermList) {
      let weighted: tf.Scalar;
      try {
        const w = term.weight ? term.weight(input.step) : 1;
        weighted = tf.mul(term.compute(input), w) as tf.Scalar;
      } catch (err) {
        throw attribute(plugin, `lossTerm '${term.name}'`, input.step, err);
      }
      terms[term.name] = weighted;
      total = total === undefined ? weighted : (tf.add(total, weighted) as tf.Scalar);
    }
    return { total: total!, terms };
  }

  /**
   * The run's update method (at most one: a second fails host creation with E_UPDATE_METHOD_CONFLICT),
   * with its `gradients` attributed: a throw surfaces as E_PLUGIN_HOOK naming the plugin, the method
   * and the step. Undefined when no plugin contributes one (the trainer applies the observed gradient).
   */
  updateMethod(): (UpdateMethod & { readonly plugin: string; readonly event: string }) | undefined {
    const found = this.contributions.updateMethods.all()[0];
    if (found === undefined) return undefined;
    const { value: method, plugin } = found;
    const event = `update method '${method.name}'`;
    return {
      name: method.name,
      plugin,
      event,
      gradients: (input) => {
        try {
          return method.gradients(input);
        } catch (err) {
          // A fault of another plugin inside a pass the method asked for keeps its own attribution.
          if (err instanceof PluginError && err.plugin !== plugin) throw err;
          throw attribute(plugin, event, input.step, err);
        }
      },
    };
  }

  /**
   * Applies every regularizer's projection in plugin order, inside tf.tidy; a projection that leaves
   * tensors allocated (tf.keep, a returned tensor) fails with E_PLUGIN_LEAK.
   */
  project(model: ModelView, step: number): void {
    for (const { value: reg, plugin } of this.contributions.regularizers.all()) {
      if (!reg.project) continue;
      const event = `project '${reg.name}'`;
      this.guard.project(plugin, event, step, () => {
        try {
          tf.tidy(() => reg.project!(model, step));
        } catch (err) {
          throw attribute(plugin, event, step, err);
        }
      });
    }
  }

  /** Runs every registered dispose step in reverse order; the first failure is re-thrown attributed after all ran. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    let first: unknown;
    for (const d of this.disposers.reverse()) {
      try {
        await d.fn();
      } catch (err) {
        first ??= attribute(d.plugin, 'dispose', undefined, err);
      }
    }
    if (first !== undefined) throw first;
  }

  private addListener(plugin: string, rank: number, event: EventName, hook: Hook<EventName>): void {
    const handler = typeof hook === 'function' ? hook : hook.handler;
    const bucket = BUCKET[typeof hook === 'function' ? 'normal' : (hook.order ?? 'normal')];
    const list = this.listeners.get(event) ?? [];
    list.push({ plugin, rank, bucket, seq: this.seq++, handler });
    list.sort((a, b) => a.bucket - b.bucket || a.rank - b.rank || a.seq - b.seq);
    this.listeners.set(event, list);
  }

  private contextFor(plugin: string): PluginContext {
    return {
      pluginName: plugin,
      provide: (token, value) => this.store.provide(token, value, plugin),
      get: (token) => {
        const value = this.store.tryGet(token);
        if (value === undefined) throw new TokenMissingError(token.name, plugin);
        return value;
      },
      tryGet: (token) => this.store.tryGet(token),
      onDispose: (fn) => void this.disposers.push({ plugin, fn }),
      error: (message, options = {}) => new PluginError(plugin, options.event ?? 'setup', options.step, new Error(message), options.fix),
    };
  }

  private assertLive(action: string): void {
    if (this.disposed) throw new RunDisposedError(action);
  }
}

/** Plugins validated, put in run order and with their contributions collected: once per run (see preparePlugins). */
export interface PreparedPlugins {
  /** The plugins in run order. */
  readonly plugins: readonly Plugin[];
  /** What they contribute, by name. */
  readonly contributions: Contributions;
}

const preparedSets = new WeakSet<PreparedPlugins>();

function prepare(plugins: readonly Plugin[]): PreparedPlugins {
  const sorted = sortPlugins(plugins);
  const contributions = collectContributions(sorted);
  const methods = contributions.updateMethods.all();
  if (methods.length > 1) throw new UpdateMethodConflictError(methods.map((m) => ({ name: m.value.name, plugin: m.plugin })));
  const out: PreparedPlugins = Object.freeze({ plugins: sorted, contributions });
  preparedSets.add(out);
  return out;
}

/**
 * Checks plugin objects once for a run: each against the Plugin contract and its API range
 * (E_PLUGIN_INVALID, E_PLUGIN_API_MISMATCH), names unique (E_PLUGIN_NAME_CLASH, naming both sources),
 * order constraints satisfiable, contributions unique by name, at most one update method
 * (E_UPDATE_METHOD_CONFLICT). The result is what `createRun` and `PluginHost.create` take without
 * checking again; `sources` names where each plugin came from (config key, package).
 */
export function preparePlugins(values: readonly unknown[], sources: readonly string[] = []): PreparedPlugins {
  return prepare(validatePlugins(values, sources));
}

/** True for a value `preparePlugins` returned (not for a look-alike object). */
export function isPreparedPlugins(value: unknown): value is PreparedPlugins {
  return typeof value === 'object' && value !== null && preparedSets.has(value as PreparedPlugins);
}

function stepOf(payload: unknown): number | undefined {
  const step = (payload as { step?: unknown } | undefined)?.step;
  return typeof step === 'number' ? step : undefined;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** Wraps a failure as a PluginError naming plugin, event and step (keeps flatsparse errors' own fix). */
function attribute(plugin: string, event: string, step: number | undefined, err: unknown): PluginError {
  if (err instanceof PluginError && err.plugin === plugin && err.event === event) return err;
  if (err instanceof PluginError && err.plugin === plugin) return new PluginError(plugin, event, step ?? err.step, err.cause ?? err, err.fix);
  return new PluginError(plugin, event, step, err, err instanceof FlatsparseError ? err.fix : undefined);
}
