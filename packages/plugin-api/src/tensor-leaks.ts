import * as tf from '@tensorflow/tfjs-core';
import { TensorLeakError } from './errors.js';

/** Number of tensors currently allocated in the tfjs engine. */
export function countTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` and throws E_TENSOR_LEAK if more tensors are allocated afterwards than before. Tensors
 * the function returns count as leaked unless `allowReturned` says how many are expected.
 */
export async function withLeakCheck<T>(label: string, fn: () => T | Promise<T>, allowReturned = 0): Promise<T> {
  const before = countTensors();
  const result = await fn();
  const after = countTensors();
  if (after > before + allowReturned) throw new TensorLeakError(label, before, after - allowReturned);
  return result;
}

/** Synchronous variant of withLeakCheck. */
export function withLeakCheckSync<T>(label: string, fn: () => T, allowReturned = 0): T {
  const before = countTensors();
  const result = fn();
  const after = countTensors();
  if (after > before + allowReturned) throw new TensorLeakError(label, before, after - allowReturned);
  return result;
}
