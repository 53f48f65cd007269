import * as tf from '@tensorflow/tfjs-core';
import { EVENT_NAMES, type EventName, type EventPayloads } from '../events.js';
import type { Hook, HookOrder, Plugin } from '../plugin.js';
import { Rng } from '../random.js';
import { fakeCaptures, fakeModel, type FakeCaptures, type FakeModel, type FakeModelOptions } from './fixtures.js';

/** Who ran a listener in an order check: the probe before the plugin, the plugin, the probe after it. */
export type DispatchRole = 'before' | 'plugin' | 'after';

/** One listener call recorded during an order check. */
export interface DispatchEntry {
  /** Which emission (dispatch of one event) the call belongs to. */
  readonly emission: number;
  readonly event: EventName;
  readonly role: DispatchRole;
  readonly bucket: HookOrder;
}

const ROLE_RANK: Record<DispatchRole, number> = { before: 0, plugin: 1, after: 2 };
const BUCKET_RANK: Record<HookOrder, number> = { pre: 0, normal: 1, post: 2 };

/** Name prefixes of the probe plugins placed around the plugin under test (one probe per bucket and side). */
export const PROBE_BEFORE = 'conformance-probe-before';
export const PROBE_AFTER = 'conformance-probe-after';

/**
 * Checks a recorded dispatch against the host's contract: within an event, listeners run by bucket
 * (pre, normal, post) and, within a bucket, the probe declared before the plugin runs first and the
 * probe declared after it runs last. Entries are compared within one emission. Returns one line per violation (empty when the order is right).
 */
export function checkDispatchOrder(entries: readonly DispatchEntry[]): string[] {
  const problems: string[] = [];
  const last = new Map<number, DispatchEntry>();
  for (const e of entries) {
    const prev = last.get(e.emission);
    const key = (x: DispatchEntry): number => BUCKET_RANK[x.bucket] * 3 + ROLE_RANK[x.role];
    if (prev && key(e) < key(prev)) problems.push(`'${e.event}': the ${e.role} '${e.bucket}' listener ran after the ${prev.role} '${prev.bucket}' listener`);
    last.set(e.emission, e);
  }
  return problems;
}

/** Recorded listener calls; the caller bumps `emission` before each dispatch. */
export interface DispatchLog {
  emission: number;
  readonly entries: DispatchEntry[];
}

/** An empty dispatch log. */
export function dispatchLog(): DispatchLog {
  return { emission: 0, entries: [] };
}

/**
 * The probe plugins of one side: one per bucket (pre, normal, post), each with a hook on every event
 * that records its call. A plugin has one hook per event, so each bucket needs its own probe.
 */
export function probePlugins(role: 'before' | 'after', target: string, log: DispatchLog): Plugin[] {
  return (['pre', 'normal', 'post'] as const).map((bucket) => ({
    name: `${role === 'before' ? PROBE_BEFORE : PROBE_AFTER}-${bucket}`,
    version: '0.0.0',
    apiVersion: '*',
    order: role === 'before' ? { before: [target] } : { after: [target] },
    hooks: Object.fromEntries(EVENT_NAMES.map((event) => [event, { handler: () => void log.entries.push({ emission: log.emission, event, role, bucket }), order: bucket }])),
  }));
}

function bucketOf(hook: Hook<EventName>): HookOrder {
  return typeof hook === 'function' ? 'normal' : (hook.order ?? 'normal');
}

/** Wraps a hook so that each call is recorded before the original handler runs (same bucket). */
function recorded<E extends EventName>(event: E, hook: Hook<E>, log: DispatchLog): Hook<E> {
  const handler = typeof hook === 'function' ? hook : hook.handler;
  const bucket = bucketOf(hook as Hook<EventName>);
  return {
    handler: (payload, ctx) => {
      log.entries.push({ emission: log.emission, event, role: 'plugin', bucket });
      return handler(payload, ctx);
    },
    order: bucket,
  };
}

/** The plugin with every hook recorded into `log`. */
export function recordingPlugin(plugin: Plugin, log: DispatchLog): Plugin {
  const hooks = Object.fromEntries(Object.entries(plugin.hooks ?? {}).map(([e, h]) => [e, recorded(e as EventName, h as Hook<EventName>, log)]));
  return { ...plugin, hooks };
}

/** Synthetic tensors shared by every emitted payload; dispose() releases them all. */
export interface PayloadFixtures {
  readonly model: FakeModel;
  readonly captures: FakeCaptures;
  payload<E extends EventName>(event: E, step: number): EventPayloads[E];
  dispose(): void;
}

const BATCH = 2;
const TOKENS = 3;

/**
 * Builds a fake model, captures, a batch, a loss and one gradient per parameter, and payloads for
 * every event. The batch fits the model's forward and loss: token ids and targets [2, T] drawn from
 * [0, d), with T = 3 (or maxTokens if smaller), the T of the captures too.
 */
export function payloadFixtures(modelOptions?: FakeModelOptions): PayloadFixtures {
  const model = fakeModel(modelOptions);
  const tokens = Math.min(TOKENS, model.maxTokens);
  const captures = fakeCaptures({ model, batch: BATCH, tokens });
  const rng = new Rng(13);
  const ids = (): tf.Tensor => tf.tensor2d(Array.from({ length: BATCH }, () => Array.from({ length: tokens }, () => rng.int(model.d))), [BATCH, tokens], 'int32');
  const inputs = ids();
  const targets = ids();
  const loss = tf.scalar(1.5);
  const grads = new Map([...model.params].map(([name, v]) => [name, tf.fill(v.shape, 0.01)]));
  const payloads = (step: number): EventPayloads => ({
    modelBuilt: { step, model },
    beforeForward: { step, batch: { inputs, targets }, training: true },
    afterForward: { step, loss, captures: captures.forwardCaptures, training: true },
    afterBackward: { step, loss, grads, captures: captures.captures },
    afterStep: { step, model },
    evaluation: { step, split: 'validation', figures: { loss: 1.5, accuracy: 0.5 } },
    end: { step, reason: 'completed' },
  });
  return {
    model,
    captures,
    payload: (event, step) => payloads(step)[event],
    dispose() {
      for (const t of [inputs, targets, loss, ...grads.values()]) t.dispose();
      captures.dispose();
      model.dispose();
    },
  };
}
