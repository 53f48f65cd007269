import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ModelConfigError, Rng, ShapeError } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, createGpt, softmaxCrossEntropy } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { registerGradients, relu, tinyGpt } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

/** Float64 reference: per-row smoothed target q, softmax, mean loss and dL/dlogits = (softmax - q) / rows. */
function reference(rows: number[][], targets: number[], s: number): { loss: number; grad: number[][] } {
  let total = 0;
  const grad = rows.map((row, r) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
    const q = row.map((_, c) => (c === targets[r] ? 1 - s : 0) + s / row.length);
    total -= q.reduce((acc, qc, c) => acc + qc * (row[c]! - lse), 0);
    return row.map((v, c) => (Math.exp(v - lse) - q[c]!) / rows.length);
  });
  return { loss: total / rows.length, grad };
}

function randomRows(count: number, classes: number, seed: number): { rows: number[][]; targets: number[] } {
  const rng = new Rng(seed);
  return { rows: Array.from({ length: count }, () => Array.from({ length: classes }, () => rng.normal() * 3)), targets: Array.from({ length: count }, () => rng.int(classes)) };
}

describe.skipIf(!state.available)('models: loss and accuracy against float64 references', () => {
  beforeAll(registerGradients);

  it.each([0, 0.11, 0.5])('softmax cross-entropy with label smoothing %s: value and gradient', (s) => {
    const { rows, targets } = randomRows(12, 5, 3);
    const ref = reference(rows, targets, s);
    tf.tidy(() => {
      const logits = tf.tensor(rows.flat(), [3, 4, 5]);
      const ids = tf.tensor(targets, [3, 4], 'int32');
      const value = softmaxCrossEntropy(logits, ids, s).dataSync()[0]!;
      expect(Math.abs(value - ref.loss)).toBeLessThan(1e-6 * Math.max(1, ref.loss));
      const grad = tf.grad((l: tf.Tensor) => softmaxCrossEntropy(l, ids, s))(logits);
      const got = Array.from(grad.dataSync());
      const diff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref.grad.flat()[i]!)), 0);
      expect(diff).toBeLessThan(1e-7);
    });
  });

  it('model.loss on GPT logits [B, T, vocab] equals the reference over every position', () => {
    const gpt = createGpt(tinyGpt, { activation: relu, seed: 9 });
    tf.tidy(() => {
      const ids = tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
      const next = tf.tensor2d([[2, 3, 4], [5, 6, 7]], undefined, 'int32');
      const output = gpt.forward(ids, { training: false, step: 0 }).output;
      const rows = (output.arraySync() as number[][][]).flat();
      const ref = reference(rows, [2, 3, 4, 5, 6, 7], 0.2);
      expect(Math.abs(gpt.loss(output, next, 0.2).dataSync()[0]! - ref.loss)).toBeLessThan(1e-6);
      expect(Math.abs(gpt.loss(output, next).dataSync()[0]! - reference(rows, [2, 3, 4, 5, 6, 7], 0).loss)).toBeLessThan(1e-6);
    });
    gpt.dispose();
  });

  it('accuracy counts arg-max hits', () => {
    const { rows, targets } = randomRows(10, 4, 8);
    const hits = rows.filter((row, r) => row.indexOf(Math.max(...row)) === targets[r]).length;
    tf.tidy(() => {
      const value = accuracy(tf.tensor2d(rows), tf.tensor1d(targets, 'int32'));
      expect(value.dtype).toBe('float32');
      expect(value.dataSync()[0]).toBeCloseTo(hits / 10, 6);
      expect(accuracy(tf.tensor2d(rows), tf.tensor1d(rows.map((row) => row.indexOf(Math.max(...row))), 'int32')).dataSync()[0]).toBe(1);
    });
  });

  it('rejects mis-shaped targets and label smoothing outside [0, 1)', () => {
    tf.tidy(() => {
      const logits = tf.zeros([2, 3, 5]);
      expect(() => softmaxCrossEntropy(logits, tf.zeros([2], 'int32'))).toThrow(ShapeError);
      expect(() => accuracy(logits, tf.zeros([3, 2], 'int32'))).toThrow(ShapeError);
      expect(() => softmaxCrossEntropy(logits, tf.zeros([2, 3], 'int32'), 1)).toThrow(ModelConfigError);
      expect(() => softmaxCrossEntropy(logits, tf.zeros([2, 3], 'int32'), -0.1)).toThrow(ModelConfigError);
    });
  });
});
