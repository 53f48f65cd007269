import type { DataSplit } from '@flatsparse/plugin-api';

/** Number of scalars in one example of that shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Builds a DataSplit, freezing the shapes. */
export function makeSplit(
  inputs: Float32Array | Int32Array,
  inputShape: readonly number[],
  targets: Int32Array,
  targetShape: readonly number[],
): DataSplit {
  const size = inputs.length / shapeSize(inputShape);
  return { inputs, inputShape: Object.freeze([...inputShape]), targets, targetShape: Object.freeze([...targetShape]), size };
}

/** Copies the examples at `indices` (in that order) out of flat arrays into a new split. */
export function gatherSplit(
  inputs: Float32Array | Int32Array,
  inputShape: readonly number[],
  targets: Int32Array,
  targetShape: readonly number[],
  indices: ArrayLike<number>,
): DataSplit {
  const inSize = shapeSize(inputShape);
  const outSize = shapeSize(targetShape);
  const gIn = inputs instanceof Float32Array ? new Float32Array(indices.length * inSize) : new Int32Array(indices.length * inSize);
  const gOut = new Int32Array(indices.length * outSize);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    gIn.set(inputs.subarray(i * inSize, (i + 1) * inSize), k * inSize);
    gOut.set(targets.subarray(i * outSize, (i + 1) * outSize), k * outSize);
  }
  return makeSplit(gIn, inputShape, gOut, targetShape);
}
