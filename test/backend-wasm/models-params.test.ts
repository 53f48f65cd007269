import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ModelConfigError } from '@flatsparse/plugin-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGpt, createVit } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { randomInts, readParams, registerGradients, relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

describe.skipIf(!state.available)('models: parameters, seeds, freezing, disposal', () => {
  beforeAll(registerGradients);

  it('ViT names and shapes; MlpBlockInfo points at existing parameters of the right shapes', () => {
    const vit = createVit(tinyVit, { activation: relu });
    const shapes = Object.fromEntries([...vit.params].map(([n, v]) => [n, v.shape]));
    expect(shapes).toMatchObject({
      'embed.patch.weight': [8, 8],
      'embed.patch.bias': [8],
      'embed.cls': [8],
      'embed.pos': [5, 8],
      'blocks.1.ln1.scale': [8],
      'blocks.1.attn.qkv.weight': [8, 24],
      'blocks.1.attn.qkv.bias': [24],
      'blocks.1.attn.out.weight': [8, 8],
      'blocks.0.ln2.shift': [8],
      'blocks.0.mlp.key.weight': [8, 12],
      'blocks.0.mlp.value.weight': [12, 8],
      'final_ln.scale': [8],
      'head.weight': [8, 3],
      'head.bias': [3],
    });
    expect(vit.params.size).toBe(4 + 2 * 12 + 2 + 2);
    expect(vit.kind).toBe('vit');
    vit.mlpBlocks.forEach((b, i) => {
      expect(b).toMatchObject({ index: i, d: 8, n: 12, lnScale: `blocks.${i}.ln2.scale`, lnShift: `blocks.${i}.ln2.shift` });
      expect(vit.params.get(b.keyWeight)!.shape).toEqual([8, 12]);
      expect(vit.params.get(b.keyBias!)!.shape).toEqual([12]);
      expect(vit.params.get(b.valueWeight)!.shape).toEqual([12, 8]);
      expect(vit.params.get(b.valueBias!)!.shape).toEqual([8]);
    });
    vit.dispose();
  });

  it("the same seed gives bit-identical weights, another seed different ones; init 'normal' follows its documented scheme", () => {
    // (the other schemes' statistics: test/backend-wasm/decay-and-init.test.ts)
    const normal = { ...tinyGpt, init: 'normal' as const };
    const m1 = createGpt(normal, { activation: relu, seed: 7 });
    const m2 = createGpt(normal, { activation: relu, seed: 7 });
    const m3 = createGpt(normal, { activation: relu, seed: 8 });
    const [p1, p2, p3] = [m1, m2, m3].map(readParams);
    for (const [name, values] of p1!) {
      expect(Array.from(p2!.get(name)!), name).toEqual(Array.from(values));
      if (name.endsWith('weight') || name.startsWith('embed.')) {
        expect(Array.from(p3!.get(name)!), name).not.toEqual(Array.from(values));
        const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
        expect(std, name).toBeGreaterThan(0.012);
        expect(std, name).toBeLessThan(0.025);
        expect(Math.max(...values.map(Math.abs)), name).toBeLessThanOrEqual(0.04 + 1e-7);
      }
    }
    expect(Array.from(p1!.get('blocks.0.ln2.scale')!)).toEqual(new Array(8).fill(1));
    expect(Array.from(p1!.get('blocks.0.ln2.shift')!)).toEqual(new Array(8).fill(0));
    expect(Array.from(p1!.get('blocks.0.mlp.key.bias')!)).toEqual(new Array(12).fill(0));
    const names = [m1, m2].flatMap((m) => [...m.params.values()].map((v) => v.name));
    expect(new Set(names).size).toBe(names.length);
    [m1, m2, m3].forEach((m) => m.dispose());
  });

  it('frozen parameters get no gradient; addParam adds a trainable or frozen parameter', () => {
    const gpt = createGpt(tinyGpt, { activation: relu, seed: 1 });
    gpt.setTrainable('blocks.0.ln2.shift', false);
    const initial = tf.zeros([tinyGpt.seqLen, tinyGpt.d]);
    const table = gpt.addParam('zerothBias.blocks.0', initial, true);
    const frozenExtra = gpt.addParam('extra.frozen', initial, false);
    initial.dispose();
    expect(table.shape).toEqual([6, 8]);
    expect(gpt.params.get('zerothBias.blocks.0')).toBe(table);
    expect(gpt.params.get('blocks.0.ln2.shift')!.trainable).toBe(false);
    expect(frozenExtra.trainable).toBe(false);
    tf.tidy(() => {
      const ids = randomInts([1, 4], 1, tinyGpt.vocab);
      gpt.addMlpTransform(0, 'input', (x) => tf.add(x, tf.slice(table, [0, 0], [x.shape[1]!, -1])));
      // With no variable list, tfjs differentiates every trainable variable: the frozen ones must not appear.
      const { grads } = tf.variableGrads(() => gpt.loss(gpt.forward(ids, { training: true, step: 0 }).output, ids));
      expect(grads[gpt.params.get('blocks.0.ln2.shift')!.name]).toBeUndefined();
      expect(grads[frozenExtra.name]).toBeUndefined();
      expect(grads[table.name]).toBeDefined();
      expect(grads[gpt.params.get('blocks.0.ln2.scale')!.name]).toBeDefined();
    });
    gpt.setTrainable('blocks.0.ln2.shift', true);
    expect(gpt.params.get('blocks.0.ln2.shift')!.trainable).toBe(true);
    expect(() => gpt.setTrainable('blocks.9.ln2.shift', false)).toThrow(ModelConfigError);
    const again = tf.zeros([2]);
    expect(() => gpt.addParam('zerothBias.blocks.0', again)).toThrow(ModelConfigError);
    again.dispose();
    gpt.dispose();
  });

  it('dispose releases every variable, plugin-added ones included; forward/backward inside tidy leaks nothing', () => {
    const baseline = tf.memory().numTensors;
    const vit = createVit(tinyVit, { activation: relu });
    const extra = tf.ones([8]);
    vit.addParam('plugin.extra', extra);
    extra.dispose();
    const withModel = tf.memory().numTensors;
    expect(withModel).toBe(baseline + vit.params.size);
    for (let step = 0; step < 2; step++) {
      tf.tidy(() => {
        const images = tf.ones([2, 4, 4, 2]);
        const shapes = vit.probeShapes(images);
        const probes = shapes.map((s) => ({ p: tf.zeros(s.p), a: tf.zeros(s.a), z: tf.zeros(s.z) }));
        const flat = probes.flatMap((p) => [p.p, p.a, p.z]);
        const vars = [...vit.params.values()];
        const { grads } = tf.variableGrads(() => {
          const { output, captures } = vit.forward(images, { training: true, step, probes });
          expect(captures).toHaveLength(2);
          return vit.loss(output, tf.tensor1d([0, 1], 'int32'), 0.1);
        }, vars);
        const probeGrads = tf.grads((...ts: tf.Tensor[]) => {
          const regrouped = probes.map((_, i) => ({ p: ts[3 * i]!, a: ts[3 * i + 1]!, z: ts[3 * i + 2]! }));
          return vit.loss(vit.forward(images, { training: true, step, probes: regrouped }).output, tf.tensor1d([0, 1], 'int32'));
        })(flat);
        // Every parameter but 'plugin.extra' (not used by the forward pass) gets a gradient.
        expect(Object.keys(grads)).toHaveLength(vars.length - 1);
        expect(probeGrads).toHaveLength(6);
      });
      expect(tf.memory().numTensors).toBe(withModel);
    }
    const names = [...vit.params.values()].map((v) => v.name);
    vit.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    expect(names.filter((n) => n in tf.engine().registeredVariables)).toEqual([]);
    expect(vit.params.size).toBe(0);
  });
});
