import * as tf from '@tensorflow/tfjs-core';
import { type DataSplit, type TensorBatch, DataError, Rng } from '@flatsparse/plugin-api';

/** Everything needed to continue a sampler exactly where it was (JSON-serialisable). */
export interface BatchSamplerState {
  /** Epochs started so far (1 during the first epoch). */
  readonly epoch: number;
  /** Examples of the current epoch already handed out. */
  readonly position: number;
  /** Generator state before the current epoch's shuffle (the order is re-derived from it). */
  readonly rng: readonly number[];
  /** Whether epochs are shuffled. */
  readonly shuffle: boolean;
}

/**
 * Turns a split into minibatches: inputs as float32 or int32 (following the split's array type), targets
 * as int32. With `shuffle`, each epoch visits every example once in an order drawn from the seeded Rng;
 * a batch that runs past the end of an epoch continues into the next one, so every batch is full. The
 * whole state (epoch, position, generator) can be saved and restored.
 */
export class BatchSampler {
  private order: number[] = [];
  private epochStart: number[];
  private epochCount = 0;
  private position = 0;

  constructor(
    private readonly split: DataSplit,
    private readonly rng: Rng,
    private readonly shuffle = true,
    source = 'split',
  ) {
    checkSplit(split, source);
    this.epochStart = rng.state();
  }

  /** Restores a sampler over the same split from `state()`. */
  static fromState(split: DataSplit, state: BatchSamplerState, source = 'split'): BatchSampler {
    const sampler = new BatchSampler(split, Rng.fromState(state.rng), state.shuffle, source);
    if (state.epoch > 0) sampler.startEpoch();
    sampler.epochCount = state.epoch;
    sampler.position = state.position;
    return sampler;
  }

  /** The state to save in a checkpoint. */
  state(): BatchSamplerState {
    return { epoch: this.epochCount, position: this.position, rng: [...this.epochStart], shuffle: this.shuffle };
  }

  /** Indices of the next `size` examples (advances the sampler). */
  nextIndices(size: number): number[] {
    const out: number[] = [];
    while (out.length < size) {
      if (this.epochCount === 0 || this.position >= this.order.length) {
        this.startEpoch();
        this.epochCount += 1;
        this.position = 0;
      }
      const take = Math.min(size - out.length, this.order.length - this.position);
      for (let i = 0; i < take; i++) out.push(this.order[this.position + i]!);
      this.position += take;
    }
    return out;
  }

  /** The next batch of `size` examples as tensors (the caller disposes them). */
  next(size: number): TensorBatch {
    return makeBatch(this.split, this.nextIndices(size));
  }

  private startEpoch(): void {
    this.epochStart = this.rng.state();
    const order = Array.from({ length: this.split.size }, (_, i) => i);
    this.order = this.shuffle ? this.rng.shuffle(order) : order;
  }
}

/**
 * The batch of these examples of a split: inputs [B, ...inputShape], targets [B, ...targetShape] int32.
 * `transform` may replace the (float) inputs before they become a tensor (training augmentation).
 */
export function makeBatch(split: DataSplit, indices: readonly number[], transform?: (inputs: Float32Array, shape: readonly number[]) => Float32Array): TensorBatch {
  const inputSize = product(split.inputShape);
  const targetSize = product(split.targetShape);
  const isInt = split.inputs instanceof Int32Array;
  const inputs = isInt ? new Int32Array(indices.length * inputSize) : new Float32Array(indices.length * inputSize);
  const targets = new Int32Array(indices.length * targetSize);
  indices.forEach((example, row) => {
    inputs.set(split.inputs.subarray(example * inputSize, (example + 1) * inputSize), row * inputSize);
    targets.set(split.targets.subarray(example * targetSize, (example + 1) * targetSize), row * targetSize);
  });
  const shape = [indices.length, ...split.inputShape];
  const values = transform !== undefined && inputs instanceof Float32Array ? transform(inputs, shape) : inputs;
  return {
    inputs: tf.tensor(values, shape, isInt ? 'int32' : 'float32'),
    targets: tf.tensor(targets, [indices.length, ...split.targetShape], 'int32'),
  };
}

/** Batches of a split in order (the last one may be smaller), at most `maxBatches` of them. */
export function* sequentialBatches(split: DataSplit, batchSize: number, maxBatches = Infinity): Generator<TensorBatch> {
  for (let start = 0, count = 0; start < split.size && count < maxBatches; start += batchSize, count++) {
    const indices = Array.from({ length: Math.min(batchSize, split.size - start) }, (_, i) => start + i);
    yield makeBatch(split, indices);
  }
}

function checkSplit(split: DataSplit, source: string): void {
  const problems: string[] = [];
  if (!Number.isInteger(split.size) || split.size <= 0) problems.push(`size is ${split.size}`);
  if (split.inputs.length !== split.size * product(split.inputShape)) problems.push(`inputs hold ${split.inputs.length} values for ${split.size} examples of shape ${JSON.stringify(split.inputShape)}`);
  if (split.targets.length !== split.size * product(split.targetShape)) problems.push(`targets hold ${split.targets.length} values for ${split.size} examples of shape ${JSON.stringify(split.targetShape)}`);
  if (problems.length > 0) {
    throw new DataError(source, `is malformed: ${problems.join('; ')}.`, {
      expected: 'size > 0, inputs.length = size * prod(inputShape), targets.length = size * prod(targetShape)',
      fix: 'build the split with the data package helpers, or fix the arrays and shapes.',
    });
  }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
