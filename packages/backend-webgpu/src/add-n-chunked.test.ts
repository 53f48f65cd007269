import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { chunkedAddN } from './add-n-chunked.js';

/** A fake backend holding scalars by data id, and an AddN kernel over it that records its input counts. */
function fixture() {
  const values = new Map<object, number>();
  const backend = { disposeData: (id: object) => values.delete(id) };
  const sizes: number[] = [];
  const make = (v: number): tf.TensorInfo => {
    const dataId = {};
    values.set(dataId, v);
    return { dataId, shape: [], dtype: 'float32' };
  };
  const addN: tf.KernelConfig['kernelFunc'] = ({ inputs }) => {
    const list = Object.values(inputs) as tf.TensorInfo[];
    sizes.push(list.length);
    return make(list.reduce((s, t) => s + values.get(t.dataId)!, 0));
  };
  return { values, backend, sizes, make, addN };
}

describe('chunkedAddN', () => {
  it.each([3, 7, 8, 33, 100])('sums %i inputs with at most 7 per kernel and frees every partial sum', (count) => {
    const fx = fixture();
    const inputs = Array.from({ length: count }, (_, i) => fx.make(i + 1));
    const out = chunkedAddN(fx.addN, () => 7)({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend: fx.backend as never, attrs: {} }) as tf.TensorInfo;
    expect(fx.values.get(out.dataId)).toBe((count * (count + 1)) / 2);
    expect(Math.max(...fx.sizes)).toBeLessThanOrEqual(7);
    expect(fx.values.size).toBe(count + 1); // the inputs and the result, no partial left
  });
});
