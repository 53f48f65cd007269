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
 * The closed vocabulary of training events and what each carries. Order within one training step:
 * beforeForward -> afterForward -> afterBackward -> afterStep; 'modelBuilt' once before the first step,
 * 'evaluation' after a held-out pass, 'end' once when the run stops (completed, failed or stopped).
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

/** Every event name, in the order they first occur in a run. */
export const EVENT_NAMES: readonly EventName[] = Object.freeze([
  'modelBuilt',
  'beforeForward',
  'afterForward',
  'afterBackward',
  'afterStep',
  'evaluation',
  'end',
] as const);

/** In-step events: handlers must be synchronous (they may run inside the gradient tape). */
export const SYNC_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['beforeForward', 'afterForward', 'afterBackward', 'afterStep']);

/** Whether a string is one of the event names. */
export function isEventName(name: string): name is EventName {
  return (EVENT_NAMES as readonly string[]).includes(name);
}
