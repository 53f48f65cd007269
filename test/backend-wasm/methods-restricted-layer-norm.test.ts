import { wasmBackend } from '@flatsparse/backend-wasm';
import { type Plugin } from '@flatsparse/plugin-api';
import { PluginInvalidError } from '@flatsparse/plugin-api/host';
import { fakeModel } from '@flatsparse/plugin-api/testing';
import { layerNormScaleBound, relu, restrictLayerNormScale, restrictLayerNorms, restrictedLayerNorm } from '@flatsparse/plugins';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { recorder, shortRun } from './methods-fixtures.js';

const state = await useBackend(wasmBackend());

const F = Math.fround;
const D = 16;

async function read(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Gives the MLP LayerNorms of every block a trained-looking state: scales of both signs, some small, and a nonzero shift. */
function pretrainedLayerNorms(scales: readonly number[], shifts: readonly number[]): Plugin {
  return {
    name: 'methods-test-pretrained',
    version: '0.0.0',
    apiVersion: '*',
    hooks: {
      modelBuilt: ({ model }) => {
        for (const b of model.mlpBlocks) {
          tf.tidy(() => {
            model.params.get(b.lnScale!)!.assign(tf.tensor1d([...scales]));
            model.params.get(b.lnShift!)!.assign(tf.tensor1d([...shifts]));
          });
        }
      },
    },
  };
}

describe.skipIf(!state.available)('restricted LayerNorm (M2) on wasm', () => {
  let before = 0;
  beforeEach(() => void (before = tf.memory().numTensors));
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  it('projects gamma onto max(gamma, bound), or onto sign(gamma) max(|gamma|, bound) with sign(0) = +', async () => {
    const values = [-2, -0.3, -0, 0, 1e-8, -1e-8, 0.3, 2];
    const gamma = tf.tensor1d(values);
    const scratch = tf.tidy(() => restrictLayerNormScale(gamma, 0.5, false));
    const finetune = tf.tidy(() => restrictLayerNormScale(gamma, 0.5, true));
    expect(await read(scratch)).toEqual(values.map((g) => Math.max(F(g), 0.5)));
    expect(await read(finetune)).toEqual(values.map((g) => (F(g) >= 0 ? 1 : -1) * Math.max(Math.abs(F(g)), 0.5)));
    expect(await read(finetune)).toEqual([-2, -0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 2]);
    [gamma, scratch, finetune].forEach((t) => t.dispose());
  });

  it('the bound after the step with 0-based index s: scratch `bound`, finetune bound min((s + 1) / T_up, 1)', () => {
    expect(layerNormScaleBound(0)).toBe(1);
    expect(layerNormScaleBound(7, { bound: 2 })).toBe(2);
    expect(layerNormScaleBound(0, { mode: 'finetune' })).toBe(1 / 3000);
    expect(layerNormScaleBound(1499, { mode: 'finetune' })).toBe(0.5);
    expect(layerNormScaleBound(2999, { mode: 'finetune' })).toBe(1);
    expect(layerNormScaleBound(10_000, { mode: 'finetune', rampSteps: 10, bound: 1.5 })).toBe(1.5);
    // From scratch: no ramp unless asked (the authors' from-scratch runs hold the bound from the start).
    expect(layerNormScaleBound(0, {})).toBe(1);
    expect(layerNormScaleBound(4, { rampSteps: 10 })).toBeCloseTo(0.5, 15);
    expect(layerNormScaleBound(4, { mode: 'finetune', rampSteps: 10, bound: 1.5 })).toBeCloseTo(0.75, 15);
  });

  it("modelBuilt: scratch zeroes and freezes the MLP LayerNorm shifts and projects gamma; finetune only freezes", async () => {
    for (const mode of ['scratch', 'finetune'] as const) {
      const fake = fakeModel({ d: 4 });
      const shift0 = await read(fake.params.get('blocks.0.ln2.shift')!);
      const scale0 = await read(fake.params.get('blocks.0.ln2.scale')!);
      expect(shift0.some((v) => v !== 0)).toBe(true);
      restrictLayerNorms(fake, { mode, bound: 1.1 });
      expect(fake.trainableChanges).toEqual(new Map([['blocks.0.ln2.shift', false], ['blocks.1.ln2.shift', false]]));
      expect(fake.params.get('blocks.0.ln2.scale')!.trainable).toBe(true);
      const shift = await read(fake.params.get('blocks.0.ln2.shift')!);
      const scale = await read(fake.params.get('blocks.0.ln2.scale')!);
      expect(shift).toEqual(mode === 'scratch' ? [0, 0, 0, 0] : shift0);
      expect(scale).toEqual(mode === 'scratch' ? scale0.map((g) => Math.max(g, F(1.1))) : scale0);
      fake.dispose();
    }
  });

  it('options are validated at the factory', () => {
    for (const bad of [{ mode: 'warm' }, { bound: 0 }, { rampSteps: 0 }, { mode: 'finetune', rampSteps: -1 }, { floor: 1 }]) {
      expect(() => restrictedLayerNorm(bad as never), JSON.stringify(bad)).toThrow(PluginInvalidError);
    }
    expect(restrictedLayerNorm({ mode: 'finetune', rampSteps: 10 }).contributes?.regularizers?.map((r) => r.name)).toEqual(['restricted-layer-norm']);
  });

  it('from scratch: gamma >= bound after every step (some exactly at it), shift zero and frozen, attention LayerNorms untouched', async () => {
    const rec = recorder((name) => /ln[12]\.(scale|shift)/.test(name));
    await shortRun({ plugins: [restrictedLayerNorm({ bound: 1.25 }), relu(), rec.plugin], activation: 'relu', lr: 0.1, steps: 5 });
    const { initial, steps, trainableInitially, trainableFinally } = await rec.read();
    for (const b of [0, 1]) {
      expect(Array.from(initial.get(`blocks.${b}.ln2.scale`)!)).toEqual(new Array(D).fill(1.25)); // projected at modelBuilt
      expect(trainableInitially.get(`blocks.${b}.ln2.shift`)).toBe(false);
      expect(trainableFinally.get(`blocks.${b}.ln2.shift`)).toBe(false);
      expect(trainableFinally.get(`blocks.${b}.ln2.scale`)).toBe(true);
      expect(trainableFinally.get(`blocks.${b}.ln1.shift`)).toBe(true);
      expect(trainableFinally.get(`blocks.${b}.ln1.scale`)).toBe(true);
    }
    let atBound = 0;
    steps.forEach((s, step) => {
      for (const b of [0, 1]) {
        const gamma = s.get(`blocks.${b}.ln2.scale`)!;
        gamma.forEach((g, j) => expect(g, `step ${step} block ${b} entry ${j}`).toBeGreaterThanOrEqual(1.25));
        atBound += gamma.filter((g) => g === 1.25).length;
        expect(Array.from(s.get(`blocks.${b}.ln2.shift`)!).every((v) => v === 0)).toBe(true);
      }
    });
    expect(atBound).toBeGreaterThan(10);
    const last = steps[4]!;
    const ln1Scale = [0, 1].flatMap((b) => Array.from(last.get(`blocks.${b}.ln1.scale`)!));
    const ln1Shift = [0, 1].flatMap((b) => Array.from(last.get(`blocks.${b}.ln1.shift`)!));
    expect(ln1Scale.some((g) => g < 1)).toBe(true); // not projected
    expect(ln1Shift.some((v) => v !== 0)).toBe(true); // still trained
    // The MLP scales did train (they are not just held at the bound).
    expect([0, 1].flatMap((b) => Array.from(last.get(`blocks.${b}.ln2.scale`)!)).some((g) => g > 1.3)).toBe(true);
  });

  it('finetune: shift keeps its values and is frozen; |gamma| >= min((s + 1) / T_up, 1) after step s, signs kept', async () => {
    const scales = Array.from({ length: D }, (_, j) => [0.05, -0.05, 0.3, -0.3, 0.6, -0.6, 1.5, -1.5][j % 8]!);
    const shifts = Array.from({ length: D }, (_, j) => F(Math.sin(j + 1)));
    const rec = recorder((name) => /ln[12]\.(scale|shift)/.test(name));
    const plugins = [pretrainedLayerNorms(scales, shifts), restrictedLayerNorm({ mode: 'finetune', rampSteps: 4 }), relu(), rec.plugin];
    await shortRun({ plugins, activation: 'relu', lr: 1e-3, steps: 6 });
    const { initial, steps, trainableFinally } = await rec.read();
    expect(Array.from(initial.get('blocks.0.ln2.scale')!)).toEqual(scales.map(F)); // nothing projected before the first step
    steps.forEach((s, step) => {
      const bound = F(Math.min((step + 1) / 4, 1));
      for (const b of [0, 1]) {
        const gamma = s.get(`blocks.${b}.ln2.scale`)!;
        gamma.forEach((g, j) => {
          expect(Math.abs(g), `step ${step} block ${b} entry ${j}`).toBeGreaterThanOrEqual(bound);
          expect(Math.sign(g), `sign of entry ${j}`).toBe(Math.sign(scales[j]!));
        });
        expect(gamma.some((g) => Math.abs(g) === bound), `step ${step}: the projection bites`).toBe(true);
        expect(Array.from(s.get(`blocks.${b}.ln2.shift`)!)).toEqual(shifts);
      }
      // Attention LayerNorms are not projected: their scales stay near 1, below the final bound 1.
      if (step === 5) expect([0, 1].flatMap((b) => Array.from(s.get(`blocks.${b}.ln1.scale`)!)).some((g) => g < 1)).toBe(true);
    });
    expect(trainableFinally.get('blocks.0.ln2.shift')).toBe(false);
    expect(trainableFinally.get('blocks.1.ln2.shift')).toBe(false);
    expect(trainableFinally.get('blocks.0.ln1.shift')).toBe(true);
  });
});
