import { wasmBackend } from '@flatsparse/backend-wasm';
import { type TrainerRecord } from '@flatsparse/core';
import { PluginHost, PluginInvalidError, collectContributions, validatePlugins } from '@flatsparse/plugin-api/host';
import { fakeModel } from '@flatsparse/plugin-api/testing';
import { SPARSIFIED_ARMS, augmentedFlatness, derivativeSparsity, jSquaredReLU, sparsified, sparsifiedActivation, sparsifiedFinetune } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { recorder, shortRun } from './methods-fixtures.js';

const state = await useBackend(wasmBackend());

const arm = (name: string) => SPARSIFIED_ARMS.find((a) => a.name === name)!;
const trainLosses = (records: readonly TrainerRecord[]): number[] => records.filter((r) => r.split === 'train').map((r) => r.loss);

describe('sparsified presets (no backend needed)', () => {
  it('sparsified() is M1 + M2 + M3; each method can be switched off or configured', () => {
    expect(sparsified().map((p) => p.name)).toEqual(['zeroth-bias', 'restricted-layer-norm', 'j-squared-relu']);
    expect(sparsified({ zerothBias: false }).map((p) => p.name)).toEqual(['restricted-layer-norm', 'j-squared-relu']);
    expect(sparsified({ restrictedLayerNorm: false, jSquaredReLU: false }).map((p) => p.name)).toEqual(['zeroth-bias']);
    expect(sparsifiedActivation()).toBe('j-squared-relu');
    expect(sparsifiedActivation({ jSquaredReLU: false })).toBe('relu');
    expect(() => sparsified({ zerothBias: { c: -1 } })).toThrow(PluginInvalidError);
    expect(() => sparsified({ lnBound: 1 } as never)).toThrow(PluginInvalidError);
    expect(sparsified()[0]).not.toBe(sparsified()[0]); // fresh objects per call
  });

  it('SPARSIFIED_ARMS: vanilla, each method alone, all three; each arm is a valid pipeline contributing its activation', () => {
    expect(SPARSIFIED_ARMS.map((a) => [a.name, a.activation])).toEqual([
      ['vanilla', 'relu'],
      ['zeroth-bias', 'relu'],
      ['restricted-layer-norm', 'relu'],
      ['j-squared-relu', 'j-squared-relu'],
      ['sparsified', 'j-squared-relu'],
    ]);
    const names = SPARSIFIED_ARMS.map((a) => a.plugins().map((p) => p.name).sort());
    expect(names).toEqual([['relu'], ['relu', 'zeroth-bias'], ['relu', 'restricted-layer-norm'], ['j-squared-relu'], ['j-squared-relu', 'restricted-layer-norm', 'zeroth-bias']]);
    for (const a of SPARSIFIED_ARMS) {
      const c = collectContributions(validatePlugins(a.plugins()));
      expect(c.activations.get(a.activation).value.name).toBe(a.activation);
    }
  });
});

describe.skipIf(!state.available)('sparsified presets on wasm', () => {
  it('sparsifiedFinetune: the shift is kept (frozen), gamma is not projected before a step, JSReLU is mixed in from ReLU', async () => {
    const plugins = sparsifiedFinetune({ jSquaredReLU: { mix: { steps: 10 } } });
    const fake = fakeModel({ d: 4 });
    const shift = Array.from(await fake.params.get('blocks.0.ln2.shift')!.data());
    const host = await PluginHost.create(plugins);
    await host.emit('modelBuilt', { step: 0, model: fake });
    expect(Array.from(await fake.params.get('blocks.0.ln2.shift')!.data())).toEqual(shift);
    expect(fake.params.get('blocks.0.ln2.shift')!.trainable).toBe(false);
    expect(fake.params.has('blocks.0.mlp.zeroth_bias')).toBe(true);
    const act = host.contributions.activations.get('j-squared-relu').value;
    const at = async (step: number): Promise<number[]> => {
      const y = tf.tidy(() => act.apply(tf.tensor1d([-1, 2]), { step, training: true }));
      const out = Array.from(await y.data());
      y.dispose();
      return out;
    };
    expect(await at(0)).toEqual([0, 2]); // ReLU
    expect(await at(5)).toEqual([0, 3]); // (2 + 4) / 2
    expect(await at(10)).toEqual([0, 4]); // JSReLU
    await host.dispose();
    fake.dispose();
  });

  it('all three vs none, same seed: same batches, same shared initial values, extra params only the tables; at lr 0 the loss differs only through the activation', async () => {
    const recAll = recorder(() => false);
    const recNone = recorder(() => false);
    const recJs = recorder(() => false);
    const all = await shortRun({ plugins: [...arm('sparsified').plugins(), recAll.plugin], activation: 'j-squared-relu', lr: 0, steps: 3 });
    const none = await shortRun({ plugins: [...arm('vanilla').plugins(), recNone.plugin], activation: 'relu', lr: 0, steps: 3 });
    const js = await shortRun({ plugins: [jSquaredReLU(), recJs.plugin], activation: 'j-squared-relu', lr: 0, steps: 3 });
    const [a, n, j] = [await recAll.read(), await recNone.read(), await recJs.read()];
    expect(a.batches).toHaveLength(3);
    expect(a.batches).toEqual(n.batches);
    expect(j.batches).toEqual(n.batches);
    const extra = [...a.initial.keys()].filter((k) => !n.initial.has(k));
    expect(extra.sort()).toEqual(['blocks.0.mlp.zeroth_bias', 'blocks.1.mlp.zeroth_bias']);
    expect([...n.initial.keys()].filter((k) => !a.initial.has(k))).toEqual([]);
    for (const [name, values] of n.initial) expect(a.initial.get(name), name).toEqual(values);
    for (const name of extra) expect(a.initial.get(name)!.every((v) => v === 0)).toBe(true);
    const [lossAll, lossNone, lossJs] = [trainLosses(all), trainLosses(none), trainLosses(js)];
    expect(lossAll).toHaveLength(3);
    expect(lossAll).toEqual(lossJs); // bit-identical: M1 and M2 change nothing at initialisation and lr 0
    lossAll.forEach((l, i) => expect(Math.abs(l - lossNone[i]!)).toBeGreaterThan(1e-6)); // the activation does
  });

  it('all three with a large learning rate: after every step gamma >= 1, the shift is 0 and |b| <= 0.1 gamma', async () => {
    const rec = recorder((name) => /ln2\.(scale|shift)|zeroth_bias/.test(name));
    await shortRun({ plugins: [...sparsified(), rec.plugin], activation: 'j-squared-relu', lr: 0.1, steps: 4, kind: 'gpt' });
    const { steps } = await rec.read();
    expect(steps).toHaveLength(4);
    let atBound = 0;
    for (const s of steps) {
      for (const b of [0, 1]) {
        const gamma = s.get(`blocks.${b}.ln2.scale`)!;
        expect(gamma.every((g) => g >= 1)).toBe(true);
        expect(s.get(`blocks.${b}.ln2.shift`)!.every((v) => v === 0)).toBe(true);
        s.get(`blocks.${b}.mlp.zeroth_bias`)!.forEach((v, i) => {
          const bound = Math.fround(Math.fround(0.1) * gamma[i % 16]!);
          expect(Math.abs(v)).toBeLessThanOrEqual(bound);
          if (Math.abs(v) === bound) atBound++;
        });
      }
    }
    expect(atBound).toBeGreaterThan(50);
  });

  const identityCases: [string, () => ReturnType<typeof sparsified>, 'vit' | 'gpt'][] = [
    ['JSReLU (ViT)', () => [jSquaredReLU()], 'vit'],
    ['bounded JSReLU (GPT)', () => [jSquaredReLU({ bounded: true })], 'gpt'],
    ['JSReLU mixed from ReLU, k = 0 .. 0.5 (ViT)', () => [jSquaredReLU({ mix: { steps: 10 } })], 'vit'],
    ['all three methods (GPT)', () => sparsified(), 'gpt'],
  ];

  it.each(identityCases)('%s: the sparsity / augmented-flatness identity holds to 1e-4 in every layer at every step', async (_label, plugins, kind) => {
    const records = await shortRun({ plugins: [...plugins(), augmentedFlatness(), derivativeSparsity()], activation: 'j-squared-relu', kind, lr: 0.01, steps: 6, seed: 5, metrics: ['augmented-flatness', 'derivative-sparsity'] });
    const train = records.filter((r) => r.split === 'train');
    expect(train).toHaveLength(6);
    for (const r of train) {
      const err = r.figures['augmented-flatness.identityError']!.perLayer;
      const density = r.figures['augmented-flatness.density']!.perLayer;
      const sparsity = r.figures['derivative-sparsity.value']!.perLayer;
      expect(err).toHaveLength(2);
      for (let l = 0; l < 2; l++) {
        expect(err[l], `step ${r.step} layer ${l}`).toBeLessThan(1e-4);
        expect(density[l]).toBeGreaterThan(0.01);
        expect(density[l]! + sparsity[l]!).toBeCloseTo(1, 5);
      }
    }
  });
});
