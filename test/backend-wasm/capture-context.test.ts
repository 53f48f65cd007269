import { wasmBackend } from '@flatsparse/backend-wasm';
import { createVit } from '@flatsparse/core';
import { fakeCaptures } from '@flatsparse/plugin-api/testing';
import { augmentedFlatnessOf, jSquaredReLUActivation } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

describe.skipIf(!state.available)('captures carry the activation context (wasm)', () => {
  it('a forward pass records the step and mode its activation ran with', () => {
    const model = createVit({ imageSize: [8, 8], channels: 1, patch: 4, classes: 3, d: 8, depth: 2, heads: 2, mlpWidth: 16 }, { activation: jSquaredReLUActivation(), seed: 1 });
    tf.tidy(() => {
      const { captures } = model.forward(tf.zeros([1, 8, 8, 1]), { training: false, step: 7 });
      expect(captures.map((c) => c.context)).toEqual([{ step: 7, training: false }, { step: 7, training: false }]);
    });
    model.dispose();
  });

  it('augmented flatness uses the step of the measured pass, not that of a later one (mixing activation)', async () => {
    const activation = jSquaredReLUActivation({ mix: { steps: 10 } });
    const fixture = fakeCaptures({ activation });
    const capture = { ...fixture.captures[0]!, context: { step: 2, training: true } };
    const at = async () => tf.tidy(() => augmentedFlatnessOf(capture).c0).data();
    const first = await at();
    tf.tidy(() => void activation.apply(tf.ones([2]), { step: 9, training: true })); // a later pass
    const second = await at();
    expect(Array.from(second)).toEqual(Array.from(first));
    // ...whereas without the context the mixing weight of the later pass would be used.
    const noContext = await tf.tidy(() => augmentedFlatnessOf({ ...capture, context: undefined }).c0).data();
    expect(Array.from(noContext)).not.toEqual(Array.from(first));
    fixture.dispose();
  });
});
