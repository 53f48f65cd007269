import type * as tf from '@tensorflow/tfjs-core';

/** One split of a data set, as plain typed arrays (kept on the CPU; batches are made per step). */
export interface DataSplit {
  /** Inputs of every example, flattened: images as float32 in [0, 1], text as token ids. */
  readonly inputs: Float32Array | Int32Array;
  /** Shape of one example's input (for example [28, 28, 1] or [T]). */
  readonly inputShape: readonly number[];
  /** Targets of every example, flattened (class ids, or next-token ids of shape [T]). */
  readonly targets: Int32Array;
  /** Shape of one example's target ([] for a class id, [T] for a sequence). */
  readonly targetShape: readonly number[];
  /** Number of examples. */
  readonly size: number;
}

/** A data set: a deterministic training split and a held-out split. */
export interface Dataset {
  /** Name used in configs and reports. */
  readonly name: string;
  /** 'image' (classification) or 'text' (next-token prediction). */
  readonly kind: 'image' | 'text';
  /** Number of classes (image) or vocabulary size (text). */
  readonly classes: number;
  /** Training split. */
  readonly train: DataSplit;
  /** Held-out split (evaluation mode). */
  readonly heldOut: DataSplit;
  /** Where the data came from (package, path, generator and seed). */
  readonly source: string;
}

/** A minibatch made from a split. */
export interface TensorBatch {
  readonly inputs: tf.Tensor;
  readonly targets: tf.Tensor;
}
