import { wasmBackend } from '@flatsparse/backend-wasm';
import { createRun } from '@flatsparse/core';
import { constantSchedule, countTensors, withLeakCheck, type ModelView } from '@flatsparse/plugin-api';
import { PluginHost, TensorLeakError, withLeakCheckSync } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());
const base = { version: '1.0.0', apiVersion: '^0.7.0' } as const;

describe.skipIf(!state.available)('tensor leak detection (wasm)', () => {
  it('passes a tidy scope and reports a leaking one with the count', async () => {
    await expect(withLeakCheck('tidy', () => tf.tidy(() => { tf.add(tf.ones([3]), 1); }))).resolves.toBeUndefined();
    const leaked: tf.Tensor[] = [];
    const err = (await withLeakCheck('leaky hook', () => void leaked.push(tf.ones([2]), tf.zeros([2]))).catch((e: unknown) => e)) as TensorLeakError;
    expect(err).toBeInstanceOf(TensorLeakError);
    expect(err.leaked).toBe(2);
    expect(err.message).toContain('leaky hook leaked 2 tensor(s)');
    tf.dispose(leaked);
  });

  it('allows the tensors a function returns when told how many', () => {
    const t = withLeakCheckSync('returns one', () => tf.ones([1]), 1);
    expect(() => withLeakCheckSync('returns one', () => tf.ones([1]))).toThrow(TensorLeakError);
    t.dispose();
  });
});

describe.skipIf(!state.available)('PluginHost with tensors (wasm)', () => {
  const model = (param: tf.Variable): ModelView => ({
    kind: 'test',
    params: new Map([['w', param]]),
    mlpBlocks: [],
    maxTokens: 1,
    addParam: () => param,
    setTrainable: () => undefined,
    setParamOptions: () => undefined,
    paramOptions: () => undefined,
    addMlpTransform: () => undefined,
  });

  it('sums the weighted loss terms of every plugin\'s regularizers, by schedule', async () => {
    const host = await PluginHost.create([
      { name: 'r', ...base, contributes: { regularizers: [{ name: 'two', lossTerm: () => tf.scalar(2), weight: (step) => step }] } },
      { name: 's', ...base, contributes: { regularizers: [{ name: 'three', weight: constantSchedule(0.5), lossTerm: () => tf.scalar(3) }] } },
    ]);
    const w = tf.variable(tf.zeros([1]));
    const before = countTensors();
    const out = tf.tidy(() => {
      const r = host.computeLossTerms({ step: 4, model: model(w), captures: [] })!;
      return [r.total, r.terms.two!, r.terms.three!];
    });
    expect(await Promise.all(out.map((t) => t.data().then((d) => d[0])))).toEqual([9.5, 8, 1.5]);
    tf.dispose(out);
    expect(countTensors()).toBe(before);
    w.dispose();
  });

  it('attributes a throwing loss term and runs projections in plugin order inside tidy', async () => {
    const w = tf.variable(tf.tensor1d([-2, 0.5, 3]));
    const host = await PluginHost.create([
      { name: 'clip', ...base, order: { after: ['shift'] }, contributes: { regularizers: [{ name: 'clip', project: (m) => m.params.get('w')!.assign(tf.clipByValue(m.params.get('w')!, -1, 1)) }] } },
      { name: 'shift', ...base, contributes: { regularizers: [{ name: 'shift', project: (m) => m.params.get('w')!.assign(tf.add(m.params.get('w')!, 1)) }] } },
      { name: 'bad', ...base, contributes: { regularizers: [{ name: 'bad', lossTerm: () => { throw new Error('shape mismatch'); } }] } },
    ]);
    expect(() => tf.tidy(() => host.computeLossTerms({ step: 7, model: model(w), captures: [] })!.total)).toThrow(/Plugin 'bad' failed in 'lossTerm 'bad'' at step 7: shape mismatch/);
    const before = countTensors();
    host.project(model(w), 1);
    expect(countTensors()).toBe(before);
    expect(Array.from(await w.data())).toEqual([-1, 1, 1]);
    w.dispose();
  });

  it('a composed run on wasm reports the backend and ends with the tensor count at baseline', async () => {
    const before = countTensors();
    const run = await createRun({
      backends: [wasmBackend()],
      backend: 'wasm',
      plugins: [{ name: 'holder', ...base, setup: (ctx) => { const t = tf.ones([4]); ctx.onDispose(() => t.dispose()); } }],
    });
    expect(run.backend.tfjsName).toBe(tf.getBackend());
    expect(countTensors()).toBe(before + 1);
    await run.dispose();
    expect(countTensors()).toBe(before);
  });
});
