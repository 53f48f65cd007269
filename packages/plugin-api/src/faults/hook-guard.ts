import * as tf from '@tensorflow/tfjs-core';
import { PluginLeakError, PluginOwnershipError } from '../errors.js';
import { SYNC_EVENTS, type EventName, type EventPayloads } from '../events.js';
import type { ModelView } from '../model.js';

/** Tensors allocated in the engine (the engine's own counter: no backend call, works before one is set). */
function countTensors(): number {
  return tf.engine().state.numTensors;
}


/** The engine's active tf.tidy scope (null outside any): tensors created in it are released when it ends. */
type Scope = { readonly track: readonly tf.Tensor[] } | null;
/** The gradient tape being recorded (null when none): the tensors its kernels saved are released by the backward pass. */
type Tape = readonly { readonly saved?: readonly tf.Tensor[] }[] | null;

/** What `HookGuard.enter` records before one hook call. */
export interface HookMark {
  readonly tensors: number;
  readonly params: number;
  readonly scope: Scope;
  readonly tracked: number;
  readonly tape: Tape;
  readonly taped: number;
}

/** What the guard asks about a plugin. */
export interface HookGuardPolicy {
  /** The plugin declared `permissions.writeParams`. */
  writeParams(plugin: string): boolean;
  /** The plugin declared `permissions.keepTensors` (recorders that copy tensors and release them after the run): no leak checks. */
  keepTensors(plugin: string): boolean;
  /** The plugin registered a dispose step (`ctx.onDispose`), so tensors it keeps as state are released. */
  hasDisposeStep(plugin: string): boolean;
}

/** Tensors a plugin holds (kept by its hooks and not released yet) and how many of them are its state. */
interface Holding {
  held: number;
  state: number;
  readonly seen: Set<EventName>;
  event: EventName;
  step: number | undefined;
}

/**
 * Checks, around each hook call, that the plugin left what it does not own alone, cheaply (no
 * read-back, counters and pointer compares only):
 * - parameters: a tfjs Variable's `assign` swaps its data id, so the data ids of every parameter are
 *   recorded when an event is dispatched and compared after each hook (O(parameters)). A change is
 *   allowed to the plugin that added the parameter, to plugins declaring `permissions.writeParams`, and
 *   in 'modelBuilt', where plugins configure the model. A disposed parameter is never allowed.
 * - payload tensors (batch, loss, captures, gradients): none may be disposed by a hook.
 * - leaks: what a hook keeps is the change of the engine's tensor count, minus the parameters it
 *   added and minus the tensors it created inside an enclosing tf.tidy that the tidy will release
 *   (in-step hooks 'afterForward' and 'afterBackward' run inside the step's tidy) or that the gradient
 *   tape saved for the backward pass ('afterForward' runs inside the tape): a tf.keep, or a tf.variable
 *   that is not a parameter. A plugin holds what its hooks kept and did not release. What it keeps the
 *   first time each of its hooks runs is its state, provided it registered a dispose step to release
 *   it; beyond its state a plugin must hold nothing after a 'modelBuilt', 'evaluation' or 'end' hook,
 *   nor when a training step ends ('afterStep' dispatched). So a plugin may keep tensors in one hook
 *   and release them in a later hook of the same step (SAM keeps the weights in 'beforeForward' and
 *   restores them in 'afterBackward'), or replace a state tensor every step, but not accumulate.
 * The model is the one of the last 'modelBuilt'; before it, only payloads and leaks are checked.
 */
export class HookGuard {
  private model: ModelView | undefined;
  private readonly names: string[] = [];
  private readonly vars: tf.Variable[] = [];
  private readonly ids: unknown[] = [];
  private readonly addedBy = new Map<string, string>();
  private readonly holdings = new Map<string, Holding>();
  private readonly inStep = new Set<string>();

  constructor(private readonly policy: HookGuardPolicy) {}

  /**
   * Starts the dispatch of an event to `listeners` hooks: takes the model from 'modelBuilt' and, when
   * there are hooks to check, records the parameters' data ids.
   */
  begin<E extends EventName>(event: E, payload: EventPayloads[E], listeners: number): void {
    if (event === 'modelBuilt') this.watch((payload as EventPayloads['modelBuilt']).model);
    if (event === 'beforeForward') this.settle();
    const model = this.model;
    if (model === undefined || listeners === 0) return;
    if (model.params.size !== this.vars.length) this.track(model, undefined);
    for (let i = 0; i < this.vars.length; i++) this.ids[i] = this.vars[i]!.dataId;
  }

  /** Before one hook call. */
  enter(): HookMark {
    const { state } = tf.engine();
    const scope: Scope = state.activeScope;
    const tape: Tape = state.gradientDepth > 0 ? state.activeTape : null;
    return { tensors: countTensors(), params: this.model?.params.size ?? 0, scope, tracked: scope?.track.length ?? 0, tape, taped: tape?.length ?? 0 };
  }

  /**
   * After one hook call of `plugin`: records parameters it added, then throws E_PLUGIN_OWNERSHIP for a
   * parameter it assigned without owning it or disposed, or a payload tensor it disposed, and
   * E_PLUGIN_LEAK for tensors it holds beyond its state (see the class comment for when).
   */
  exit(plugin: string, event: EventName, step: number | undefined, mark: HookMark, payload: readonly tf.Tensor[] = [], describe: (index: number) => string = (i) => `payload tensor ${i}`): void {
    const added = (this.model?.params.size ?? 0) - mark.params;
    if (added !== 0) this.track(this.model!, plugin);
    const free = event === 'modelBuilt' || this.policy.writeParams(plugin);
    for (let i = 0; i < this.vars.length; i++) {
      const v = this.vars[i]!;
      if (v.isDisposed) throw new PluginOwnershipError(plugin, event, step, `parameter '${this.names[i]}'`, 'disposed');
      if (v.dataId === this.ids[i]) continue;
      if (!free && this.addedBy.get(this.names[i]!) !== plugin) throw new PluginOwnershipError(plugin, event, step, `parameter '${this.names[i]}'`, 'assigned');
      this.ids[i] = v.dataId;
    }
    for (let i = 0; i < payload.length; i++) if (payload[i]!.isDisposed) throw new PluginOwnershipError(plugin, event, step, describe(i), 'disposed');
    if (this.policy.keepTensors(plugin)) return;
    let released = 0;
    const track = mark.scope?.track ?? [];
    for (let i = mark.tracked; i < track.length; i++) if (!track[i]!.kept && !track[i]!.isDisposed) released++;
    const tape = mark.tape ?? [];
    for (let i = mark.taped; i < tape.length; i++) for (const t of tape[i]!.saved ?? []) if (!t.isDisposed) released++;
    this.hold(plugin, event, step, countTensors() - mark.tensors - Math.max(0, added) - released);
  }

  /** Ends the dispatch of an event: after 'afterStep', checks what each plugin holds as the step ends. */
  end(event: EventName): void {
    if (event === 'afterStep') this.settle();
  }

  /**
   * Runs a regularizer's projection and throws E_PLUGIN_LEAK if it left tensors allocated, or
   * E_PLUGIN_OWNERSHIP if it disposed a parameter. Projections may assign parameters.
   */
  project(plugin: string, event: string, step: number, fn: () => void): void {
    const before = countTensors();
    fn();
    const leaked = countTensors() - before;
    if (this.model !== undefined) {
      for (const [name, v] of this.model.params) if (v.isDisposed) throw new PluginOwnershipError(plugin, event, step, `parameter '${name}'`, 'disposed');
    }
    if (leaked > 0) throw new PluginLeakError(plugin, event, step, leaked);
  }

  private watch(model: ModelView): void {
    if (model === this.model) return;
    this.model = model;
    this.names.length = 0;
    this.vars.length = 0;
    this.ids.length = 0;
    this.addedBy.clear();
  }

  /** Appends parameters not yet tracked (added by `plugin` when given). */
  private track(model: ModelView, plugin: string | undefined): void {
    const known = new Set(this.names);
    for (const [name, v] of model.params) {
      if (known.has(name)) continue;
      this.names.push(name);
      this.vars.push(v);
      this.ids.push(v.dataId);
      if (plugin !== undefined) this.addedBy.set(name, plugin);
    }
  }

  /** Adds what one hook kept (negative: released) to its plugin's holding; checks it now outside a step. */
  private hold(plugin: string, event: EventName, step: number | undefined, kept: number): void {
    let h = this.holdings.get(plugin);
    if (h === undefined) {
      h = { held: 0, state: 0, seen: new Set(), event, step };
      this.holdings.set(plugin, h);
    }
    const first = !h.seen.has(event);
    h.seen.add(event);
    h.held += kept;
    if (kept > 0) {
      h.event = event;
      h.step = step;
      if (first && this.policy.hasDisposeStep(plugin)) h.state += kept;
    }
    // In-step events: what their hooks hold is checked when the step ends.
    if (!SYNC_EVENTS.has(event)) this.check(plugin, h);
    else if (kept !== 0) this.inStep.add(plugin);
  }

  /** Checks the plugins whose hooks kept or released tensors during the step that ended. */
  private settle(): void {
    if (this.inStep.size === 0) return;
    const plugins = [...this.inStep];
    this.inStep.clear();
    for (const plugin of plugins) this.check(plugin, this.holdings.get(plugin)!);
  }

  /** Throws E_PLUGIN_LEAK when a plugin holds more than its state (then counts the excess as reported). */
  private check(plugin: string, h: Holding): void {
    const excess = h.held - h.state;
    if (excess <= 0) return;
    h.held = h.state;
    throw new PluginLeakError(plugin, h.event, h.step, excess);
  }
}

/** The tensors of an event's payload a hook must not dispose (empty for events without tensors). */
export function payloadTensors<E extends EventName>(event: E, payload: EventPayloads[E]): tf.Tensor[] {
  switch (event) {
    case 'beforeForward': {
      const { batch } = payload as EventPayloads['beforeForward'];
      return [batch.inputs, batch.targets];
    }
    case 'afterForward': {
      const p = payload as EventPayloads['afterForward'];
      return [p.loss, ...p.captures.flatMap((c) => [c.x, c.p, c.a, c.z])];
    }
    case 'afterBackward': {
      const p = payload as EventPayloads['afterBackward'];
      const out = [p.loss, ...p.grads.values()];
      for (const c of p.captures) {
        out.push(c.x, c.p, c.a, c.z);
        if (c.dp) out.push(c.dp);
        if (c.da) out.push(c.da);
        if (c.dz) out.push(c.dz);
      }
      return out;
    }
    default:
      return [];
  }
}

/** Names the payload tensor at `index` of `payloadTensors(event, payload)` (for error messages). */
export function describePayloadTensor<E extends EventName>(event: E, payload: EventPayloads[E], index: number): string {
  const tensor = payloadTensors(event, payload)[index];
  if (event === 'beforeForward') return index === 0 ? 'batch.inputs' : 'batch.targets';
  const p = payload as EventPayloads['afterBackward'] | EventPayloads['afterForward'];
  if (tensor === p.loss) return 'the loss';
  if ('grads' in p) for (const [name, g] of p.grads) if (g === tensor) return `the gradient of '${name}'`;
  for (const c of p.captures) {
    for (const key of ['x', 'p', 'a', 'z', 'dp', 'da', 'dz'] as const) if (c[key] === tensor) return `capture ${key} of MLP block ${c.block.index}`;
  }
  return `payload tensor ${index}`;
}
