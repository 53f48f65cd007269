import { DataError, Rng } from '@flatsparse/plugin-api';

/** Indices of the examples of each split, in the order they are served. */
export interface SplitIndices {
  /** Training example indices (seeded order). */
  readonly train: Int32Array;
  /** Held-out example indices (seeded order); never shares an index with `train`. */
  readonly heldOut: Int32Array;
}

/** The integers 0..n-1 in a seeded random order (Fisher-Yates with the core Rng). */
export function seededPermutation(n: number, seed: number): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(order);
  return Int32Array.from(order);
}

/**
 * Splits n examples into a held-out part and a training part from one seeded permutation: the first
 * `heldOut` indices are held out, the next `train` (default: all the rest) are for training. The
 * held-out split depends only on (n, heldOut, seed), so changing the training size keeps it fixed.
 */
export function splitIndices(n: number, heldOut: number, seed: number, train?: number, source = 'split'): SplitIndices {
  const trainSize = train ?? n - heldOut;
  if (!Number.isInteger(n) || !Number.isInteger(heldOut) || !Number.isInteger(trainSize) || heldOut < 0 || trainSize < 0) {
    throw new DataError(source, 'split sizes must be non-negative integers.', {
      received: { n, heldOut, train: trainSize },
      expected: 'integers >= 0',
      fix: 'pass whole numbers for trainSize and heldOutSize.',
    });
  }
  if (heldOut + trainSize > n) {
    throw new DataError(source, `asked for ${trainSize} training and ${heldOut} held-out examples, but only ${n} exist.`, {
      received: { trainSize, heldOutSize: heldOut },
      expected: `trainSize + heldOutSize <= ${n}`,
      fix: `lower trainSize or heldOutSize so that together they are at most ${n}.`,
    });
  }
  const order = seededPermutation(n, seed);
  return { heldOut: order.slice(0, heldOut), train: order.slice(heldOut, heldOut + trainSize) };
}
