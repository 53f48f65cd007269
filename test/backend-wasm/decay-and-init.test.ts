import { wasmBackend } from '@flatsparse/backend-wasm';
import { AdamW, createGpt, createVit } from '@flatsparse/core';
import { type TrainableModel } from '@flatsparse/plugin-api';
import { PluginHost } from '@flatsparse/plugin-api/host';
import { reluActivation, zerothBias, zerothBiasName } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

// #13: decaying every parameter (train.optimizer.decay: all), and the initialisation schemes.
const state = await useBackend(wasmBackend());

const VIT = { imageSize: [8, 8] as [number, number], channels: 1, patch: 4, d: 8, depth: 2, heads: 2, mlpWidth: 16, classes: 3 };

/** One AdamW step with zero gradients: the update is then the decay term alone, p1 = p (1 - lr wd). */
async function decayStep(model: TrainableModel, decay: 'default' | 'all', lr: number, wd: number): Promise<Map<string, { before: Float32Array; after: Float32Array }>> {
  const before = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
  const optimizer = new AdamW({ weightDecay: wd, decay });
  tf.tidy(() => optimizer.update(model.params, new Map([...model.params].map(([n, v]) => [n, tf.zerosLike(v)])), lr));
  optimizer.dispose();
  return new Map([...model.params].map(([n, v]) => [n, { before: before.get(n)!, after: Float32Array.from(v.dataSync()) }]));
}

describe.skipIf(!state.available)('decay every parameter', () => {
  it("with decay 'all', LayerNorm scales, biases, embeddings and zeroth biases shrink by (1 - lr wd), as the AdamW formula gives; with 'default' only matrices do", async () => {
    for (const decay of ['default', 'all'] as const) {
      const model = createVit(VIT, { activation: reluActivation, seed: 1 });
      const host = await PluginHost.create([zerothBias()]);
      await host.emit('modelBuilt', { step: 0, model });
      const table = model.params.get(zerothBiasName(0))!;
      table.assign(tf.fill(table.shape, 0.05));
      const [lr, wd] = [0.1, 0.5];
      const result = await decayStep(model, decay, lr, wd);
      for (const [name, { before, after }] of result) {
        const decayed = decay === 'all' || (before.length > 0 && model.params.get(name)!.rank >= 2 && !/bias|ln|embed|cls|pos/.test(name));
        const factor = decayed ? Math.fround(1 - lr * wd) : 1;
        before.forEach((b, i) => expect(after[i], `${decay} ${name}[${i}]`).toBeCloseTo(b * factor, 6));
      }
      // The parameters the issue names, explicitly:
      expect(result.get('blocks.0.ln2.scale')!.after[0]).toBeCloseTo(decay === 'all' ? 0.95 : 1, 6);
      expect(result.get(zerothBiasName(0))!.after[0]).toBeCloseTo(decay === 'all' ? 0.05 * 0.95 : 0.05, 6);
      await host.dispose();
      model.dispose();
    }
  });
});

function stats(values: Float32Array): { mean: number; std: number; max: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std, max: values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) };
}

describe.skipIf(!state.available)('initialisation schemes', () => {
  const wide = { ...VIT, d: 64, mlpWidth: 256, depth: 1, heads: 4 };

  it("'xavier': every matrix uniform in +-sqrt(6 / (fan_in + fan_out)) (std bound / sqrt 3), zero biases; embeddings normal 0.02", async () => {
    const model = createVit({ ...wide, init: 'xavier' }, { activation: reluActivation, seed: 2 });
    for (const [name, fanIn, fanOut] of [['blocks.0.mlp.key.weight', 64, 256], ['blocks.0.mlp.value.weight', 256, 64], ['blocks.0.attn.qkv.weight', 64, 192], ['head.weight', 64, 3]] as const) {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      const s = stats(model.params.get(name)!.dataSync() as Float32Array);
      expect(s.max, name).toBeLessThanOrEqual(bound);
      expect(s.std, name).toBeGreaterThan(0.9 * (bound / Math.sqrt(3)));
      expect(s.std, name).toBeLessThan(1.1 * (bound / Math.sqrt(3)));
      expect(Math.abs(s.mean), name).toBeLessThan((4 * bound) / Math.sqrt(3 * fanIn * fanOut)); // 4 standard errors
    }
    expect(stats(model.params.get('blocks.0.mlp.key.bias')!.dataSync() as Float32Array).max).toBe(0);
    const pos = stats(model.params.get('embed.pos')!.dataSync() as Float32Array);
    expect(pos.max).toBeLessThanOrEqual(0.04); // truncated at 2 std
    expect(pos.std).toBeGreaterThan(0.014);
    model.dispose();
  });

  it("'pytorch': weights and biases uniform in +-1 / sqrt(fan_in), as torch.nn.Linear", async () => {
    const model = createVit({ ...wide, init: 'pytorch' }, { activation: reluActivation, seed: 2 });
    for (const [name, fanIn] of [['blocks.0.mlp.key.weight', 64], ['blocks.0.mlp.value.weight', 256], ['blocks.0.mlp.key.bias', 64], ['blocks.0.mlp.value.bias', 256]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const s = stats(model.params.get(name)!.dataSync() as Float32Array);
      expect(s.max, name).toBeLessThanOrEqual(bound);
      expect(s.std, name).toBeGreaterThan(0.8 * (bound / Math.sqrt(3)));
      expect(s.std, name).toBeLessThan(1.2 * (bound / Math.sqrt(3)));
    }
    model.dispose();
  });

  it("'normal': every matrix a normal of std initStd truncated at 2 std, zero biases (flatsparse 0.2)", async () => {
    const model = createGpt({ d: 64, depth: 1, heads: 4, mlpWidth: 256, seqLen: 8, vocab: 32, init: 'normal', initStd: 0.05 }, { activation: reluActivation, seed: 3 });
    const s = stats(model.params.get('blocks.0.mlp.key.weight')!.dataSync() as Float32Array);
    expect(s.max).toBeLessThanOrEqual(0.1);
    expect(s.std).toBeGreaterThan(0.035); // a normal truncated at 2 std has std 0.88 sigma
    expect(s.std).toBeLessThan(0.05);
    expect(stats(model.params.get('blocks.0.mlp.key.bias')!.dataSync() as Float32Array).max).toBe(0);
    model.dispose();
  });

  it('the same seed gives the same weights under every scheme, and schemes differ', async () => {
    const draw = (init: 'xavier' | 'pytorch' | 'normal'): Float32Array => {
      const m = createVit({ ...wide, init }, { activation: reluActivation, seed: 9 });
      const w = Float32Array.from(m.params.get('blocks.0.mlp.key.weight')!.dataSync());
      m.dispose();
      return w;
    };
    expect(draw('xavier')).toEqual(draw('xavier'));
    expect(draw('xavier')).not.toEqual(draw('pytorch'));
  });
});
