import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { Rng } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGpt, createVit, type TransformerModel } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { randomInts, randomNormal, registerGradients, softplus, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

// float32 loss: rounding ~1e-7 over 2 * EPS gives ~1e-5 noise; EPS^2 truncation stays below 1e-4.
const EPS = 1e-2;

function lossValue(model: TransformerModel, inputs: tf.Tensor, targets: tf.Tensor, smoothing: number): number {
  return tf.tidy(() => model.loss(model.forward(inputs, { training: true, step: 0 }).output, targets, smoothing).dataSync()[0]!);
}

/**
 * For every parameter tensor separately: the directional derivative along a random unit direction v,
 * <dL/dtheta, v> from tfjs autodiff, against (L(theta + EPS v) - L(theta - EPS v)) / (2 EPS).
 */
function checkParamGradients(model: TransformerModel, inputs: tf.Tensor, targets: tf.Tensor, smoothing: number): { name: string; analytic: number; numeric: number }[] {
  const entries = [...model.params].filter(([, v]) => v.trainable);
  const { grads } = tf.variableGrads(() => model.loss(model.forward(inputs, { training: true, step: 0 }).output, targets, smoothing), entries.map(([, v]) => v));
  const rng = new Rng(42);
  const results = entries.map(([name, variable]) => {
    const direction = tf.tidy(() => {
      const raw = randomNormal(variable.shape, rng.nextUint32());
      return tf.div(raw, tf.norm(raw));
    });
    const analytic = tf.tidy(() => tf.sum(tf.mul(grads[variable.name]!, direction)).dataSync()[0]!);
    const original = tf.clone(variable);
    tf.tidy(() => variable.assign(tf.add(original, tf.mul(direction, EPS))));
    const plus = lossValue(model, inputs, targets, smoothing);
    tf.tidy(() => variable.assign(tf.sub(original, tf.mul(direction, EPS))));
    const minus = lossValue(model, inputs, targets, smoothing);
    variable.assign(original);
    tf.dispose([original, direction]);
    return { name, analytic, numeric: (plus - minus) / (2 * EPS) };
  });
  tf.dispose(grads);
  return results;
}

function expectClose(results: { name: string; analytic: number; numeric: number }[]): void {
  const bad = results.filter((r) => Math.abs(r.analytic - r.numeric) > 3e-4 + 2e-3 * Math.abs(r.analytic));
  expect(bad).toEqual([]);
  // The check is only meaningful if the gradients are not all tiny.
  expect(results.filter((r) => Math.abs(r.analytic) > 1e-2).length).toBeGreaterThan(results.length / 2);
}

describe.skipIf(!state.available)('models: parameter gradients against central finite differences', () => {
  beforeAll(registerGradients);
  it('ViT: every parameter tensor, with label smoothing', () => {
    const vit = createVit({ ...tinyVit, initStd: 0.5 }, { activation: softplus, seed: 11 });
    const images = randomNormal([3, 4, 4, 2], 5);
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    const results = checkParamGradients(vit, images, labels, 0.1);
    expect(results.map((r) => r.name)).toContain('embed.cls');
    expectClose(results);
    tf.dispose([images, labels]);
    vit.dispose();
  });

  for (const tiedHead of [true, false]) {
    it(`GPT (${tiedHead ? 'tied' : 'untied'} head): every parameter tensor`, () => {
      const gpt = createGpt({ ...tinyGpt, tiedHead, initStd: 0.5 }, { activation: softplus, seed: 12 });
      const ids = randomInts([2, 5], 6, tinyGpt.vocab);
      const next = randomInts([2, 5], 7, tinyGpt.vocab);
      const results = checkParamGradients(gpt, ids, next, tiedHead ? 0 : 0.2);
      expectClose(results);
      tf.dispose([ids, next]);
      gpt.dispose();
    });
  }
});
