import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  createGpt,
  createVit,
  decodeModel,
  encodeModel,
  loadModel,
  loadWeightsInto,
  saveModel,
} from '@flatsparse/core';
import type { TrainableModel } from '@flatsparse/plugin-api';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { randomInts, randomNormal, relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());
const dir = await mkdtemp(join(tmpdir(), 'flatsparse-models-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function outputOf(model: Pick<TrainableModel, 'forward'>, inputs: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(model.forward(inputs, { training: false, step: 0 }).output.dataSync()));
}

async function thrown(promise: Promise<unknown>): Promise<CheckpointError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  return err as CheckpointError;
}

describe.skipIf(!state.available)('models: save and load (safetensors)', () => {
  it('ViT: saveModel + loadModel gives identical outputs, config, kind and frozen flags; the metadata is documented', async () => {
    const baseline = tf.memory().numTensors;
    const vit = createVit(tinyVit, { activation: relu, seed: 31 });
    vit.setTrainable('blocks.1.ln2.shift', false);
    const path = join(dir, 'vit.safetensors');
    await saveModel(vit, path);
    const loaded = await loadModel(path, { activation: relu });
    const images = randomNormal([2, 4, 4, 2], 4);
    expect(loaded.kind).toBe('vit');
    expect(loaded.config).toEqual(vit.config);
    expect([...loaded.params.keys()].sort()).toEqual([...vit.params.keys()].sort());
    expect(outputOf(loaded, images)).toEqual(outputOf(vit, images));
    expect(loaded.params.get('blocks.1.ln2.shift')!.trainable).toBe(false);
    expect(loaded.params.get('blocks.0.ln2.shift')!.trainable).toBe(true);
    const { metadata, tensors } = decodeSafetensors(new Uint8Array(await readFile(path)));
    expect(metadata).toMatchObject({ format: 'flatsparse-model', kind: 'vit', version: '1' });
    expect(JSON.parse(metadata.config!)).toEqual(vit.config);
    expect(JSON.parse(metadata.frozen!)).toEqual(['blocks.1.ln2.shift']);
    expect(tensors.get('blocks.0.mlp.key.weight')).toMatchObject({ dtype: 'F32', shape: [8, 12] });
    images.dispose();
    vit.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('GPT: loadWeightsInto a differently seeded model, and encodeModel/decodeModel in memory, reproduce the outputs', async () => {
    const gpt = createGpt({ ...tinyGpt, tiedHead: false }, { activation: relu, seed: 32 });
    const other = createGpt({ ...tinyGpt, tiedHead: false }, { activation: relu, seed: 33 });
    const ids = randomInts([2, 4], 5, tinyGpt.vocab);
    expect(outputOf(other, ids)).not.toEqual(outputOf(gpt, ids));
    const path = join(dir, 'gpt.safetensors');
    await saveModel(gpt, path);
    await loadWeightsInto(other, path);
    expect(outputOf(other, ids)).toEqual(outputOf(gpt, ids));
    const decoded = decodeModel(await encodeModel(gpt), { activation: relu });
    expect(outputOf(decoded, ids)).toEqual(outputOf(gpt, ids));
    [gpt, other, decoded].forEach((m) => m.dispose());
    ids.dispose();
  });

  it('mismatched names or shapes throw CheckpointError listing them, and assign nothing', async () => {
    const gpt = createGpt(tinyGpt, { activation: relu, seed: 34 });
    const path = join(dir, 'small.safetensors');
    await saveModel(gpt, path);
    const wider = createGpt({ ...tinyGpt, mlpWidth: 16 }, { activation: relu, seed: 35 });
    const before = Array.from(wider.params.get('embed.token')!.dataSync());
    const err = await thrown(loadWeightsInto(wider, path));
    expect(err.message).toContain('blocks.0.mlp.key.weight (file F32[8,12], model F32[8,16])');
    expect(err.message).toContain('blocks.1.mlp.value.weight');
    expect(err.message).not.toContain('embed.token');
    expect(Array.from(wider.params.get('embed.token')!.dataSync())).toEqual(before);

    const zeros = tf.zeros([tinyGpt.seqLen, tinyGpt.d]);
    gpt.addParam('zerothBias.blocks.0', zeros);
    zeros.dispose();
    const withPlugin = join(dir, 'plugin.safetensors');
    await saveModel(gpt, withPlugin);
    expect((await thrown(loadModel(withPlugin, { activation: relu }))).message).toMatch(/not in the model: zerothBias\.blocks\.0/);
    expect((await thrown(loadWeightsInto(wider, withPlugin))).message).toContain('zerothBias.blocks.0');
    const lenient = await loadModel(withPlugin, { activation: relu, ignoreExtra: true });
    expect(lenient.params.has('zerothBias.blocks.0')).toBe(false);
    const fresh = createGpt(tinyGpt, { activation: relu, seed: 36 });
    const fromPlain = await thrown(loadWeightsInto(fresh, withPlugin));
    expect(fromPlain.message).toContain('not in the model: zerothBias.blocks.0');
    [gpt, wider, lenient, fresh].forEach((m) => m.dispose());
  });

  it('files that are not flatsparse models, or missing, throw CheckpointError', async () => {
    const plain = join(dir, 'plain.safetensors');
    await writeFile(plain, encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }]])));
    expect((await thrown(loadModel(plain, { activation: relu }))).message).toMatch(/not a flatsparse model file/);
    await thrown(loadModel(join(dir, 'nope.safetensors'), { activation: relu }));
    const vit = createVit(tinyVit, { activation: relu });
    await thrown(loadWeightsInto(vit, join(dir, 'nope.safetensors')));
    vit.dispose();
  });
});
