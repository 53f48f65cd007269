import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ModelConfigError, ShapeError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { createGpt, createVit, parseGptConfig, parseVitConfig } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

/** The ModelConfigError a config throws (fails the test if it does not throw one). */
function configError(fn: () => unknown): ModelConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelConfigError);
    return err as ModelConfigError;
  }
  throw new Error('expected a ModelConfigError');
}

describe('models: config validation', () => {
  it('applies defaults', () => {
    expect(parseVitConfig(tinyVit)).toMatchObject({ lnEps: 1e-6, initStd: 0.02 });
    expect(parseGptConfig({ seqLen: 4, d: 8, depth: 1, heads: 2, mlpWidth: 16 })).toMatchObject({ vocab: 256, tiedHead: true, lnEps: 1e-5 });
  });

  it.each([
    ['heads', { ...tinyVit, heads: 3 }, /'heads': must divide d \(8\)/],
    ['patch', { ...tinyVit, imageSize: [4, 6], patch: 4 }, /'patch'.*imageSize\[1\]/],
    ['depth', { ...tinyVit, depth: 0 }, /'depth'/],
    ['imageSize', { ...tinyVit, imageSize: [4] }, /'imageSize\[1\]'/],
    ['classes', { ...tinyVit, classes: 1.5 }, /'classes'/],
    ['unknown key', { ...tinyVit, widht: 3 }, /'widht'/],
  ])('ViT: %s is named', (_, config, pattern) => {
    const err = configError(() => parseVitConfig(config));
    expect(err.code).toBe('E_MODEL_CONFIG');
    expect(err.message).toMatch(pattern);
    expect(err.fix).toBeTruthy();
  });

  it.each([
    ['heads', { ...tinyGpt, heads: 5 }, /'heads'/],
    ['seqLen', { ...tinyGpt, seqLen: -1 }, /'seqLen'/],
    ['vocab', { ...tinyGpt, vocab: 1 }, /'vocab'/],
    ['tiedHead', { ...tinyGpt, tiedHead: 'yes' }, /'tiedHead'/],
  ])('GPT: %s is named', (_, config, pattern) => {
    expect(configError(() => parseGptConfig(config)).message).toMatch(pattern);
  });

  it('model options are validated before any parameter exists', () => {
    const before = Object.keys(tf.engine().registeredVariables).length;
    configError(() => createGpt(tinyGpt, { activation: {} as never }));
    configError(() => createGpt(tinyGpt, { activation: relu, seed: 1.5 }));
    configError(() => createVit({ ...tinyVit, heads: 3 }, { activation: relu }));
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(before);
  });
});

describe.skipIf(!state.available)('models: input checks', () => {
  it('ViT rejects wrong shapes and dtypes with ShapeError', () => {
    const vit = createVit(tinyVit, { activation: relu });
    const bad = [tf.zeros([2, 4, 4, 3]), tf.zeros([2, 4, 2, 2]), tf.zeros([4, 4, 2]), tf.zeros([2, 4, 4, 2], 'int32')];
    for (const inputs of bad) {
      expect(() => vit.forward(inputs, { training: false, step: 0 })).toThrow(ShapeError);
      expect(() => vit.probeShapes(inputs)).toThrow(ShapeError);
    }
    tf.dispose(bad);
    vit.dispose();
  });

  it('GPT rejects wrong ranks and dtypes, and sequences longer than maxTokens with a message naming seqLen', () => {
    const gpt = createGpt(tinyGpt, { activation: relu });
    const bad = [tf.zeros([2, 3, 1], 'int32'), tf.zeros([2, 3], 'float32'), tf.zeros([2, 0], 'int32')];
    for (const inputs of bad) expect(() => gpt.forward(inputs, { training: false, step: 0 })).toThrow(ShapeError);
    const long = tf.zeros([1, 7], 'int32');
    expect(() => gpt.forward(long, { training: false, step: 0 })).toThrow(/longer than maxTokens = seqLen = 6/);
    tf.dispose([...bad, long]);
    gpt.dispose();
  });
});
