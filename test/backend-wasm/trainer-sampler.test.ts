import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { DataError, Rng, type DataSplit } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { BatchSampler, sequentialBatches } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

/** Example i has inputs [i, i + 0.5] (float) or [i, 2i] (int) and target i % 3, so batches can be traced back. */
function split(size: number, kind: 'float' | 'int'): DataSplit {
  const inputs = kind === 'float' ? new Float32Array(size * 2) : new Int32Array(size * 2);
  const targets = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    inputs[2 * i] = i;
    inputs[2 * i + 1] = kind === 'float' ? i + 0.5 : 2 * i;
    targets[i] = i % 3;
  }
  return { inputs, inputShape: [2], targets, targetShape: [], size };
}

describe.skipIf(!state.available)('BatchSampler', () => {
  it('visits every example once per epoch in a seeded order, continuing across epoch ends', () => {
    const sampler = new BatchSampler(split(10, 'float'), new Rng(5));
    const epoch1 = sampler.nextIndices(10);
    const epoch2 = sampler.nextIndices(10);
    expect([...epoch1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...epoch2].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch2).not.toEqual(epoch1);
    expect(new BatchSampler(split(10, 'float'), new Rng(5)).nextIndices(20)).toEqual([...epoch1, ...epoch2]);
    expect(new BatchSampler(split(10, 'float'), new Rng(6)).nextIndices(10)).not.toEqual(epoch1);
    expect(new BatchSampler(split(10, 'float'), new Rng(5), false).nextIndices(12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });

  it('makes float32 or int32 input tensors and int32 targets holding the chosen examples', () => {
    for (const kind of ['float', 'int'] as const) {
      const sampler = new BatchSampler(split(7, kind), new Rng(1));
      const probe = BatchSampler.fromState(split(7, kind), sampler.state());
      const indices = probe.nextIndices(4);
      const batch = sampler.next(4);
      expect(batch.inputs.dtype).toBe(kind === 'float' ? 'float32' : 'int32');
      expect(batch.targets.dtype).toBe('int32');
      expect(batch.inputs.shape).toEqual([4, 2]);
      expect(batch.targets.shape).toEqual([4]);
      expect(Array.from(batch.inputs.dataSync())).toEqual(indices.flatMap((i) => [i, kind === 'float' ? i + 0.5 : 2 * i]));
      expect(Array.from(batch.targets.dataSync())).toEqual(indices.map((i) => i % 3));
      tf.dispose([batch.inputs, batch.targets]);
    }
  });

  it('restores its full state: a restored sampler continues with the same batches', () => {
    const data = split(9, 'float');
    const sampler = new BatchSampler(data, new Rng(3));
    sampler.nextIndices(4);
    sampler.nextIndices(4);
    sampler.nextIndices(4); // now inside the second epoch
    const saved = JSON.parse(JSON.stringify(sampler.state()));
    expect(saved.epoch).toBe(2);
    expect(saved.position).toBe(3);
    const restored = BatchSampler.fromState(data, saved);
    for (let k = 0; k < 6; k++) expect(restored.nextIndices(4)).toEqual(sampler.nextIndices(4));
    const fresh = new BatchSampler(data, new Rng(8));
    const twin = BatchSampler.fromState(data, fresh.state());
    expect(twin.nextIndices(13)).toEqual(fresh.nextIndices(13));
  });

  it('yields held-out batches in order with a smaller last batch, and rejects malformed splits', () => {
    const batches = [...sequentialBatches(split(5, 'int'), 2)];
    expect(batches.map((b) => b.targets.shape[0])).toEqual([2, 2, 1]);
    expect(Array.from(batches[2]!.inputs.dataSync())).toEqual([4, 8]);
    for (const b of batches) tf.dispose([b.inputs, b.targets]);
    const limited = [...sequentialBatches(split(5, 'int'), 2, 1)];
    expect(limited.length).toBe(1);
    for (const b of limited) tf.dispose([b.inputs, b.targets]);
    const bad = { ...split(4, 'float'), size: 5 };
    expect(() => new BatchSampler(bad, new Rng(0), true, 'tiny/train')).toThrow(DataError);
    expect(() => new BatchSampler(bad, new Rng(0), true, 'tiny/train')).toThrow(/tiny\/train/);
  });
});
