import type * as tf from '@tensorflow/tfjs-core';
import type { MlpCapture } from './mlp-capture.js';
import type { ModelView } from './model.js';

/** A minibatch: model inputs and targets, owned by the trainer. */
export interface Batch {
  /** Model input (images [B, H, W, C] or token ids [B, T]). */
  readonly inputs: tf.Tensor;
  /** Targets (class ids [B] or next-token ids [B, T]). */
  readonly targets: tf.Tensor;
}

/**
 * The closed vocabulary of training events and what each carries; their order and timing are EVENTS.
 * Tensors in payloads belong to the trainer and are valid only during the call.
 */
export interface EventPayloads {
  /** Once, after the model is built and before training; plugins may add parameters here. */
  readonly modelBuilt: { readonly step: number; readonly model: ModelView };
  /** Every step, before the forward pass (outside the gradient tape). */
  readonly beforeForward: { readonly step: number; readonly batch: Batch; readonly training: boolean };
  /** Every step, after the forward pass, inside the gradient tape (captures have no gradients yet). */
  readonly afterForward: {
    readonly step: number;
    readonly loss: tf.Scalar;
    readonly captures: readonly MlpCapture[];
    readonly training: boolean;
  };
  /** Every training step, after the backward pass and before the optimiser update. */
  readonly afterBackward: {
    readonly step: number;
    readonly loss: tf.Scalar;
    readonly grads: ReadonlyMap<string, tf.Tensor>;
    readonly captures: readonly MlpCapture[];
  };
  /** Every training step, after the optimiser update and the regularizers' projections. */
  readonly afterStep: { readonly step: number; readonly model: ModelView };
  /** After a held-out pass in evaluation mode, with the figures read back. */
  readonly evaluation: { readonly step: number; readonly split: string; readonly figures: Readonly<Record<string, number>> };
  /** Once, when the run stops for any reason. */
  readonly end: { readonly step: number; readonly reason: 'completed' | 'failed' | 'stopped'; readonly error?: unknown };
}

/** Name of a training event. */
export type EventName = keyof EventPayloads;

/** One event of the closed vocabulary: where it falls in a run and whether its hooks must be synchronous. */
export interface EventSpec {
  readonly name: EventName;
  /** 'run': once or a few times per run; 'step': every training step, in this order. */
  readonly phase: 'run' | 'step';
  /** Hooks must return synchronously (in-step events may run inside the gradient tape). */
  readonly sync: boolean;
  /** When it is emitted. */
  readonly when: string;
}

/**
 * The events in the order they first occur in a run: the one place that order is written. The
 * trainer emits them so (packages/core/src/train), the host's guards, the conformance kit's
 * synthetic run and the events table of docs/architecture.md are derived from or checked against it.
 */
export const EVENTS: readonly EventSpec[] = Object.freeze([
  { name: 'modelBuilt', phase: 'run', sync: false, when: 'once, after the model is built and before the first step (on a resume, before the first resumed step); plugins may add parameters and MLP transforms' },
  { name: 'beforeForward', phase: 'step', sync: true, when: 'every training step, with its batch, before any pass, outside the gradient tape' },
  { name: 'afterForward', phase: 'step', sync: true, when: "every training step, in the step's one observed pass (at w + offsets when the update method asks), inside the gradient tape: loss with the loss terms, captures without gradients" },
  { name: 'afterBackward', phase: 'step', sync: true, when: 'every training step, after the observed pass’s backward pass and with the parameters back at w: its gradients, captures with dp, da, dz' },
  { name: 'afterStep', phase: 'step', sync: true, when: "every training step, after the optimiser applied the update method's gradients (or the observed ones) and the regularizers' projections ran" },
  { name: 'evaluation', phase: 'run', sync: false, when: 'after a held-out pass in evaluation mode, with its figures read back' },
  { name: 'end', phase: 'run', sync: false, when: 'once, when the run stops: completed, failed or stopped' },
] satisfies EventSpec[]);

/** Every event name, in the order they first occur in a run. */
export const EVENT_NAMES: readonly EventName[] = Object.freeze(EVENTS.map((e) => e.name));

/** The events of every training step, in order. */
export const STEP_EVENTS: readonly EventName[] = Object.freeze(EVENTS.filter((e) => e.phase === 'step').map((e) => e.name));

/** In-step events: handlers must be synchronous (they may run inside the gradient tape). */
export const SYNC_EVENTS: ReadonlySet<EventName> = new Set<EventName>(EVENTS.filter((e) => e.sync).map((e) => e.name));

/** Whether a string is one of the event names. */
export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name);
}
