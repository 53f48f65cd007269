import { wasmBackend } from '@flatsparse/backend-wasm';
import { runPipeline, type ModelSpec, type TrainerRecord } from '@flatsparse/core';
import { syntheticImageDataset, syntheticTextDataset } from '@flatsparse/data';
import { augmentedFlatness, derivativeSparsity, relu, shiftedRelu, squaredRelu } from '@flatsparse/plugins';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

const state = await useBackend(wasmBackend());

// Spec section 3: sum_{b,t} ||eta||^2 ||x||^2 = N_nonflat * c0, so the density measured from p equals
// B * AS_K / (B * T * n * c0) to float precision, on any model, for ReLU and (derivative-density form)
// for any activation. Here on real ViTs and GPTs, at every step of a short training run, every layer.
const cases: [string, () => ReturnType<typeof relu>, string, 'vit' | 'gpt'][] = [
  ['relu (ViT)', relu, 'relu', 'vit'],
  ['squared ReLU (ViT)', squaredRelu, 'squared-relu', 'vit'],
  ['shifted ReLU sx=-0.2, sy=0.5 (GPT)', () => shiftedRelu({ sx: -0.2, sy: 0.5 }), 'shifted-relu', 'gpt'],
  ['relu (GPT)', relu, 'relu', 'gpt'],
];

describe.skipIf(!state.available)('the sparsity / augmented-flatness identity on random models (wasm)', () => {
  it.each(cases)('%s: identityError < 1e-4 in every layer at every step', async (_label, activationPlugin, activation, kind) => {
    const records: TrainerRecord[] = [];
    const model: ModelSpec = kind === 'vit' ? { kind, config: { patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 } } : { kind, config: { d: 16, depth: 2, heads: 2, mlpWidth: 32 } };
    const dataset = kind === 'vit' ? syntheticImageDataset({ classes: 3, imageSize: 8, trainSize: 64, heldOutSize: 16 }) : syntheticTextDataset({ vocabSize: 12, seqLen: 8, trainSize: 64, heldOutSize: 16 });
    await runPipeline({
      backends: [wasmBackend()],
      backend: 'wasm',
      seed: 5,
      plugins: [activationPlugin(), augmentedFlatness(), derivativeSparsity()],
      dataset,
      model,
      activation,
      metrics: ['augmented-flatness', 'derivative-sparsity'],
      train: { steps: 6, batchSize: 16, lr: 0.01, logEvery: 1 },
      onRecord: (r) => void records.push(r),
    });
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
      expect(r.figures['augmented-flatness.asK']!.mean).toBeGreaterThan(0);
    }
  });
});
