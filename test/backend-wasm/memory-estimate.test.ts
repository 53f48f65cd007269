import { wasmBackend } from '@flatsparse/backend-wasm';
import { createGpt, createVit, estimateMemory, gptArchitecture, parseGptConfig, parseVitConfig, vitArchitecture, type ResolvedModel } from '@flatsparse/core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

// The estimate that refuses models too large to train is computed from the config alone; it must
// count exactly the parameters the models create (plugin-added ones aside).
describe.skipIf(!state.available)('memory estimate', () => {
  it.each([
    ['ViT', (): ResolvedModel => ({ kind: 'vit', config: parseVitConfig(tinyVit), architecture: vitArchitecture as ResolvedModel['architecture'] }), () => createVit(tinyVit, { activation: relu })],
    ['GPT with a tied head', (): ResolvedModel => ({ kind: 'gpt', config: parseGptConfig(tinyGpt), architecture: gptArchitecture as ResolvedModel['architecture'] }), () => createGpt(tinyGpt, { activation: relu })],
    ['GPT with its own head', (): ResolvedModel => ({ kind: 'gpt', config: parseGptConfig({ ...tinyGpt, tiedHead: false }), architecture: gptArchitecture as ResolvedModel['architecture'] }), () => createGpt({ ...tinyGpt, tiedHead: false }, { activation: relu })],
  ])('counts the parameters the %s creates, and its largest tensor', (_name, resolved, build) => {
    const model = build();
    try {
      const sizes = [...model.params].map(([name, v]) => [name, v.size] as const);
      const estimate = estimateMemory(resolved(), 4);
      expect(estimate.parameters).toBe(sizes.reduce((sum, [, size]) => sum + size, 0));
      expect(estimate.largest.elements).toBe(Math.max(...sizes.map(([, size]) => size)));
      expect(estimate.parameterBytes).toBe(16 * estimate.parameters);
      expect(estimateMemory(resolved(), 8).activationBytes).toBe(2 * estimate.activationBytes);
    } finally {
      model.dispose();
    }
  });
});
