import { ConfigError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { syntheticTextDataset } from './synthetic-text.js';

describe('syntheticTextDataset', () => {
  it('serves token sequences in range, with targets the inputs shifted by one', () => {
    const d = syntheticTextDataset({ vocabSize: 12, seqLen: 10, trainSize: 50, heldOutSize: 20, seed: 3 });
    expect(d).toMatchObject({ name: 'synthetic-text', kind: 'text', classes: 12 });
    for (const split of [d.train, d.heldOut]) {
      expect(split.inputShape).toEqual([10]);
      expect(split.targetShape).toEqual([10]);
      expect(split.inputs.every((v) => Number.isInteger(v) && v >= 0 && v < 12)).toBe(true);
      expect(split.targets.every((v) => v >= 0 && v < 12)).toBe(true);
      for (let k = 0; k < split.size; k++) {
        for (let t = 0; t < 9; t++) expect(split.targets[k * 10 + t]).toBe(split.inputs[k * 10 + t + 1]);
      }
    }
  });

  it('follows its Markov chain: rows are distributions with `branching` successors, and only those occur', () => {
    const d = syntheticTextDataset({ vocabSize: 10, branching: 3, seqLen: 20, trainSize: 300, heldOutSize: 50 });
    const V = 10;
    for (let a = 0; a < V; a++) {
      const row = Array.from(d.transitions.subarray(a * V, (a + 1) * V));
      expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
      expect(row.filter((p) => p > 0).length).toBe(3);
    }
    const counts = new Float64Array(V * V);
    for (const split of [d.train, d.heldOut]) for (let i = 0; i < split.inputs.length; i++) counts[split.inputs[i]! * V + split.targets[i]!]!++;
    for (let i = 0; i < V * V; i++) if (counts[i]! > 0) expect(d.transitions[i]).toBeGreaterThan(0);
    // Empirical frequencies match the chain (6000 transitions, ~600 per row: tolerance ~4 standard errors).
    for (let a = 0; a < V; a++) {
      const total = counts.subarray(a * V, (a + 1) * V).reduce((s, c) => s + c, 0);
      for (let b = 0; b < V; b++) expect(Math.abs(counts[a * V + b]! / total - d.transitions[a * V + b]!)).toBeLessThan(4 * Math.sqrt(0.25 / total));
    }
  });

  it('is learnable: a bigram model counted on the training split predicts held-out tokens far above chance', () => {
    const d = syntheticTextDataset({ seed: 7 });
    const V = d.classes;
    const counts = new Float64Array(V * V);
    for (let i = 0; i < d.train.inputs.length; i++) counts[d.train.inputs[i]! * V + d.train.targets[i]!]!++;
    let correct = 0;
    for (let i = 0; i < d.heldOut.inputs.length; i++) {
      const a = d.heldOut.inputs[i]!;
      let best = 0;
      for (let b = 1; b < V; b++) if (counts[a * V + b]! > counts[a * V + best]!) best = b;
      if (best === d.heldOut.targets[i]) correct++;
    }
    expect(correct / d.heldOut.inputs.length).toBeGreaterThan(3 / V);
  });

  it('is fully determined by its seed', () => {
    const a = syntheticTextDataset({ trainSize: 40, heldOutSize: 10, seed: 1 });
    const b = syntheticTextDataset({ trainSize: 40, heldOutSize: 10, seed: 1 });
    const c = syntheticTextDataset({ trainSize: 40, heldOutSize: 10, seed: 2 });
    expect(b.train.inputs).toEqual(a.train.inputs);
    expect(b.heldOut.targets).toEqual(a.heldOut.targets);
    expect(b.transitions).toEqual(a.transitions);
    expect(c.transitions).not.toEqual(a.transitions);
    expect(c.train.inputs).not.toEqual(a.train.inputs);
  });

  it('rejects branching above the vocabulary with a ConfigError at branching', () => {
    const error = (() => {
      try {
        syntheticTextDataset({ vocabSize: 4, branching: 5 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('branching');
  });
});
