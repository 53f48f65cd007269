import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { describe, expect, it } from 'vitest';
import { createGpt, createVit, type TransformerModel } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { maxAbsDiff, randomInts, randomNormal, readParams, refLinear, refStack, relu, tinyGpt, tinyVit } from './models-fixtures.js';

const state = await useBackend(wasmBackend());

/** Replaces every parameter with seeded noise so biases, LayerNorm shifts and scales are all non-trivial. */
function scramble(model: TransformerModel, seed: number): void {
  let i = 0;
  for (const v of model.params.values()) tf.tidy(() => v.assign(tf.add(v, randomNormal(v.shape, seed + i++, 0.3))));
}

describe.skipIf(!state.available)('models: forward pass against a float64 reference', () => {
  it('ViT: patches, class token, positions, attention, MLP, head and captures match plain JS', () => {
    const vit = createVit(tinyVit, { activation: relu, seed: 1 });
    scramble(vit, 100);
    const images = randomNormal([2, 4, 4, 2], 7);
    const { output, captures } = vit.forward(images, { training: false, step: 0 });
    const p = readParams(vit);
    const img = images.arraySync() as number[][][][];
    const { d, patch: P, channels: C } = tinyVit;
    const h0 = img.map((im) => {
      const seq = [Array.from(p.get('embed.cls')!)];
      for (let r = 0; r < 2; r++)
        for (let c = 0; c < 2; c++) {
          const flat: number[] = [];
          for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) for (let ch = 0; ch < C; ch++) flat.push(im[r * P + i]![c * P + j]![ch]!);
          seq.push(refLinear(flat, p.get('embed.patch.weight')!, p.get('embed.patch.bias')!, d));
        }
      return seq.map((v, t) => v.map((u, j) => u + p.get('embed.pos')![t * d + j]!));
    });
    const ref = refStack(p, h0, { ...tinyVit, lnEps: 1e-6 }, false, relu.reference!);
    const logits = ref.final.map((seq) => refLinear(seq[0]!, p.get('head.weight')!, p.get('head.bias')!, tinyVit.classes));
    expect(output.shape).toEqual([2, 3]);
    expect(maxAbsDiff(output.arraySync(), logits)).toBeLessThan(1e-4);
    expect(captures).toHaveLength(2);
    captures.forEach((cap, i) => {
      expect(cap.block).toBe(vit.mlpBlocks[i]);
      expect(cap.activation).toBe(relu);
      expect(cap.training).toBe(false);
      expect([cap.x.shape, cap.p.shape, cap.a.shape, cap.z.shape]).toEqual([[2, 5, 8], [2, 5, 12], [2, 5, 12], [2, 5, 8]]);
      expect(maxAbsDiff(cap.x.arraySync(), ref.xs[i])).toBeLessThan(1e-4);
    });
    expect(maxAbsDiff(captures[0]!.a.arraySync(), tf.relu(captures[0]!.p).arraySync())).toBe(0);
    tf.dispose([images, output, ...captures.flatMap((c) => [c.x, c.p, c.a, c.z])]);
    vit.dispose();
  });

  for (const tiedHead of [true, false]) {
    it(`GPT (${tiedHead ? 'tied' : 'untied'} head): embeddings, causal attention, head match plain JS, also for T < seqLen`, () => {
      const gpt = createGpt({ ...tinyGpt, tiedHead }, { activation: relu, seed: 2 });
      scramble(gpt, 200);
      const p = readParams(gpt);
      const { d, vocab } = tinyGpt;
      for (const tokens of [6, 4]) {
        tf.tidy(() => {
          const ids = randomInts([2, tokens], 9, vocab);
          const { output, captures } = gpt.forward(ids, { training: true, step: 3 });
          const h0 = (ids.arraySync() as number[][]).map((seq) => seq.map((id, t) => Array.from({ length: d }, (_, j) => p.get('embed.token')![id * d + j]! + p.get('embed.pos')![t * d + j]!)));
          const ref = refStack(p, h0, { ...tinyGpt, lnEps: 1e-5 }, true, relu.reference!);
          const head = tiedHead ? Float64Array.from(tf.transpose(gpt.params.get('embed.token')!).dataSync()) : p.get('head.weight')!;
          const logits = ref.final.map((seq) => seq.map((v) => refLinear(v, head, undefined, vocab)));
          expect(output.shape).toEqual([2, tokens, vocab]);
          expect(maxAbsDiff(output.arraySync(), logits)).toBeLessThan(1e-4);
          captures.forEach((cap, i) => {
            expect(cap.training).toBe(true);
            expect(maxAbsDiff(cap.x.arraySync(), ref.xs[i])).toBeLessThan(1e-4);
          });
          expect(gpt.probeShapes(ids)).toEqual([0, 1].map(() => ({ p: [2, tokens, 12], a: [2, tokens, 12], z: [2, tokens, 8] })));
        });
      }
      expect(gpt.params.has('head.weight')).toBe(!tiedHead);
      gpt.dispose();
    });
  }

  it('GPT is causal: changing token t+1 leaves positions <= t unchanged and changes position t+1', () => {
    const gpt = createGpt(tinyGpt, { activation: relu, seed: 3 });
    tf.tidy(() => {
      const ids = [[1, 2, 3, 4, 5, 6]];
      const changed = [[1, 2, 3, 9, 5, 6]];
      const a = gpt.forward(tf.tensor2d(ids, undefined, 'int32'), { training: false, step: 0 }).output.arraySync() as number[][][];
      const b = gpt.forward(tf.tensor2d(changed, undefined, 'int32'), { training: false, step: 0 }).output.arraySync() as number[][][];
      for (let t = 0; t < 3; t++) expect(maxAbsDiff(a[0]![t], b[0]![t])).toBeLessThan(1e-6);
      for (let t = 3; t < 6; t++) expect(maxAbsDiff(a[0]![t], b[0]![t])).toBeGreaterThan(1e-5);
      const prefix = gpt.forward(tf.tensor2d([ids[0]!.slice(0, 3)], undefined, 'int32'), { training: false, step: 0 }).output.arraySync() as number[][][];
      expect(maxAbsDiff(prefix[0], a[0]!.slice(0, 3))).toBeLessThan(1e-5);
    });
    gpt.dispose();
  });

  it('ViT probeShapes and maxTokens follow the patch grid', () => {
    const vit = createVit({ ...tinyVit, imageSize: [6, 4] }, { activation: relu });
    const images = tf.zeros([3, 6, 4, 2]);
    expect(vit.maxTokens).toBe(1 + 3 * 2);
    expect(vit.probeShapes(images)).toEqual([0, 1].map(() => ({ p: [3, 7, 12], a: [3, 7, 12], z: [3, 7, 8] })));
    images.dispose();
    vit.dispose();
  });
});
