import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ModelConfigError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { createGpt, createVit } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { randomInts, randomNormal, relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe.skipIf(!state.available)('models: MLP transforms', () => {
  it("'input' transforms change x (in the order added) and feed p; 'output' transforms change z and the output", () => {
    const gpt = createGpt(tinyGpt, { activation: relu, seed: 4 });
    tf.tidy(() => {
      const ids = randomInts([2, 5], 8, tinyGpt.vocab);
      const base = gpt.forward(ids, { training: true, step: 0 });
      const seen: unknown[] = [];
      gpt.addMlpTransform(0, 'input', (x, info) => {
        seen.push(info);
        return tf.add(x, 1);
      });
      gpt.addMlpTransform(0, 'input', (x) => tf.mul(x, 2));
      gpt.addMlpTransform(1, 'output', (z) => tf.mul(z, 3));
      const run = gpt.forward(ids, { training: false, step: 17 });
      expect(seen).toEqual([{ tokens: 5, step: 17, training: false }]);
      const [c0, c1] = run.captures as [(typeof run.captures)[0], (typeof run.captures)[0]];
      expect(maxDiff(c0.x, tf.mul(tf.add(base.captures[0]!.x, 1), 2))).toBeLessThan(1e-6);
      const key = gpt.params.get('blocks.0.mlp.key.weight')!;
      const keyBias = gpt.params.get('blocks.0.mlp.key.bias')!;
      expect(maxDiff(c0.p, tf.add(tf.reshape(tf.matMul(tf.reshape(c0.x, [-1, 8]), key), [2, 5, 12]), keyBias))).toBeLessThan(1e-5);
      // Block 0's output z is untransformed: a V + b_V from the same capture.
      const value1 = gpt.params.get('blocks.1.mlp.value.weight')!;
      const valueBias1 = gpt.params.get('blocks.1.mlp.value.bias')!;
      const plainZ1 = tf.add(tf.reshape(tf.matMul(tf.reshape(c1.a, [-1, 12]), value1), [2, 5, 8]), valueBias1);
      expect(maxDiff(c1.z, tf.mul(plainZ1, 3))).toBeLessThan(1e-5);
      expect(maxDiff(c1.z, plainZ1)).toBeGreaterThan(1e-3);
      expect(maxDiff(run.output, base.output)).toBeGreaterThan(1e-3);
    });
    gpt.dispose();
  });

  it('an identity output transform leaves the output bit-identical; bad block indices and stages throw', () => {
    const vit = createVit(tinyVit, { activation: relu, seed: 5 });
    tf.tidy(() => {
      const images = randomNormal([1, 4, 4, 2], 3);
      const before = vit.forward(images, { training: false, step: 0 }).output.dataSync();
      vit.addMlpTransform(1, 'output', (z) => z);
      expect(Array.from(vit.forward(images, { training: false, step: 0 }).output.dataSync())).toEqual(Array.from(before));
    });
    expect(() => vit.addMlpTransform(2, 'input', (x) => x)).toThrow(ModelConfigError);
    expect(() => vit.addMlpTransform(-1, 'input', (x) => x)).toThrow(ModelConfigError);
    expect(() => vit.addMlpTransform(0, 'middle' as 'input', (x) => x)).toThrow(ModelConfigError);
    vit.dispose();
  });
});
