import { parseOptions, Rng, type Dataset } from '@flatsparse/plugin-api';
import { z } from 'zod';
import { makeSplit } from './make-split.js';

/** Options of syntheticTextDataset (validated; unknown keys are rejected). */
export const syntheticTextOptionsSchema = z
  .object({
    vocabSize: z.number().int().min(2).max(65536).default(16),
    seqLen: z.number().int().min(1).default(32),
    branching: z.number().int().min(1).default(3),
    trainSize: z.number().int().min(1).default(2000),
    heldOutSize: z.number().int().min(1).default(200),
    seed: z.number().int().default(0),
  })
  .strict()
  .refine((o) => o.branching <= o.vocabSize, { message: 'branching must be at most vocabSize', path: ['branching'] });

/** Options of syntheticTextDataset as a user writes them (every key optional). */
export type SyntheticTextOptions = z.input<typeof syntheticTextOptionsSchema>;

/** A synthetic text data set that also exposes the Markov chain it was drawn from. */
export interface SyntheticTextDataset extends Dataset {
  /** Transition probabilities, row-major [vocabSize, vocabSize]: row a is p(next | a). */
  readonly transitions: Float64Array;
}

/**
 * Next-token prediction on sequences from a seeded random first-order Markov chain: every token has
 * `branching` possible successors with random weights, so a model that learns the chain reaches a
 * loss near the chain's entropy, far below log(vocabSize). Fully determined by the seed.
 */
export function syntheticTextDataset(options: SyntheticTextOptions = {}, path = ''): SyntheticTextDataset {
  const o = parseOptions(syntheticTextOptionsSchema, options, { path: path, fix: 'See the synthetic-text card in the @flatsparse/data README.' });
  const rng = new Rng(o.seed);
  const chainRng = rng.fork();
  const trainRng = rng.fork();
  const heldRng = rng.fork();
  const V = o.vocabSize;
  const transitions = new Float64Array(V * V);
  for (let a = 0; a < V; a++) {
    const successors = chainRng.shuffle(Array.from({ length: V }, (_, i) => i)).slice(0, o.branching);
    const weights = successors.map(() => 0.2 + chainRng.uniform());
    const total = weights.reduce((s, w) => s + w, 0);
    successors.forEach((b, k) => (transitions[a * V + b] = weights[k]! / total));
  }
  const next = (r: Rng, a: number): number => {
    let u = r.uniform();
    for (let b = 0; b < V; b++) {
      u -= transitions[a * V + b]!;
      if (u < 0) return b;
    }
    let last = V - 1;
    while (transitions[a * V + last] === 0) last--;
    return last;
  };
  const draw = (n: number, r: Rng) => {
    const inputs = new Int32Array(n * o.seqLen);
    const targets = new Int32Array(n * o.seqLen);
    for (let k = 0; k < n; k++) {
      let token = r.int(V);
      for (let t = 0; t < o.seqLen; t++) {
        inputs[k * o.seqLen + t] = token;
        token = next(r, token);
        targets[k * o.seqLen + t] = token;
      }
    }
    return makeSplit(inputs, [o.seqLen], targets, [o.seqLen]);
  };
  return {
    name: 'synthetic-text',
    kind: 'text',
    classes: V,
    train: draw(o.trainSize, trainRng),
    heldOut: draw(o.heldOutSize, heldRng),
    source: `generated: random Markov chain, vocabulary ${V}, ${o.branching} successors per token, seqLen ${o.seqLen}, seed ${o.seed}`,
    transitions,
  };
}
