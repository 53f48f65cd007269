/**
 * Shared fixtures of the models-*.test.ts suites: tiny activations defined here (the suites must not
 * depend on @flatsparse/plugins), tiny configs, and a plain-JS float64 reference of the Transformer
 * stack used as the independent check of the tfjs forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { interval, type ActivationFunction, Rng } from '@flatsparse/plugin-api';
import type { TransformerModel } from '@flatsparse/core';

/** tfjs gradients: core registers them lazily; suites that differentiate outside a run call this. */
export { registerGradients } from '@flatsparse/core';

/** ReLU: flat region (-inf, 0], rest region [0, 0]. */
export const relu: ActivationFunction = {
  name: 'relu',
  apply: (x) => tf.relu(x),
  derivative: (x) => tf.step(x, 0),
  flatRegions: [interval(-Infinity, 0, false, true)],
  restRegions: [interval(0, 0)],
  reference: (x) => Math.max(0, x),
};

/** Softplus: smooth, so finite differences see no kinks. */
export const softplus: ActivationFunction = {
  name: 'softplus',
  apply: (x) => tf.softplus(x),
  derivative: (x) => tf.sigmoid(x),
  flatRegions: [],
  restRegions: [],
  reference: (x) => Math.log1p(Math.exp(x)),
};

/** A tiny ViT config: 4x4x2 images, 2x2 patches (T = 5), d 8, 2 heads, n 12, 3 classes. */
export const tinyVit = { imageSize: [4, 4] as [number, number], channels: 2, patch: 2, d: 8, depth: 2, heads: 2, mlpWidth: 12, classes: 3 };
/** A tiny GPT config: vocab 11, seqLen 6, d 8, 2 heads, n 12. */
export const tinyGpt = { vocab: 11, seqLen: 6, d: 8, depth: 2, heads: 2, mlpWidth: 12 };

/** Seeded normal tensor. */
export function randomNormal(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(rng.fill(shape.reduce((a, b) => a * b, 1), (r) => r.normal() * scale), shape, 'float32');
}

/** Seeded integer tensor in [0, high). */
export function randomInts(shape: number[], seed: number, high: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(high)), shape, 'int32');
}

/** Every parameter as float64 arrays. */
export function readParams(model: TransformerModel): Map<string, Float64Array> {
  return new Map([...model.params].map(([name, v]) => [name, Float64Array.from(v.dataSync())]));
}

type Vec = number[];
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** y = x W + b with W stored row-major [in, out]. */
export function refLinear(x: Vec, w: Float64Array, b: Float64Array | undefined, out: number): Vec {
  const y = Array.from({ length: out }, (_, j) => b?.[j] ?? 0);
  x.forEach((xi, i) => {
    for (let j = 0; j < out; j++) y[j]! += xi * w[i * out + j]!;
  });
  return y;
}

/** Float64 LayerNorm of one vector. */
export function refLayerNorm(x: Vec, scale: Float64Array, shift: Float64Array, eps: number): Vec {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * scale[i]! + shift[i]!);
}

/** Float64 reference of the pre-LN stack: returns the final-LN output [B][T][d] and each block's MLP input x. */
export function refStack(p: Map<string, Float64Array>, h0: Vec[][], cfg: { d: number; depth: number; heads: number; mlpWidth: number; lnEps: number }, causal: boolean, act: (x: number) => number): { final: Vec[][]; xs: Vec[][][] } {
  const { d, heads, mlpWidth: n, lnEps: eps } = cfg;
  const dh = d / heads;
  const g = (name: string): Float64Array => p.get(name)!;
  let h = h0.map((seq) => seq.map((v) => [...v]));
  const xs: Vec[][][] = [];
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}`;
    h = h.map((seq) => {
      const qkv = seq.map((v) => refLinear(refLayerNorm(v, g(`${b}.ln1.scale`), g(`${b}.ln1.shift`), eps), g(`${b}.attn.qkv.weight`), g(`${b}.attn.qkv.bias`), 3 * d));
      const mixed = seq.map((_, t) => {
        const out: Vec = new Array(d).fill(0);
        for (let hd = 0; hd < heads; hd++) {
          const q = qkv[t]!.slice(hd * dh, (hd + 1) * dh);
          const keys = qkv.map((r, s) => (causal && s > t ? -Infinity : dot(q, r.slice(d + hd * dh, d + (hd + 1) * dh)) / Math.sqrt(dh)));
          const m = Math.max(...keys);
          const w = keys.map((k) => Math.exp(k - m));
          const z = w.reduce((a, c) => a + c, 0);
          qkv.forEach((r, s) => {
            for (let j = 0; j < dh; j++) out[hd * dh + j]! += (w[s]! / z) * r[2 * d + hd * dh + j]!;
          });
        }
        return out;
      });
      return seq.map((v, t) => refLinear(mixed[t]!, g(`${b}.attn.out.weight`), g(`${b}.attn.out.bias`), d).map((u, j) => u + v[j]!));
    });
    const x = h.map((seq) => seq.map((v) => refLayerNorm(v, g(`${b}.ln2.scale`), g(`${b}.ln2.shift`), eps)));
    xs.push(x);
    h = h.map((seq, bi) =>
      seq.map((v, t) => {
        const a = refLinear(x[bi]![t]!, g(`${b}.mlp.key.weight`), g(`${b}.mlp.key.bias`), n).map(act);
        return refLinear(a, g(`${b}.mlp.value.weight`), g(`${b}.mlp.value.bias`), d).map((u, j) => u + v[j]!);
      }),
    );
  }
  return { final: h.map((seq) => seq.map((v) => refLayerNorm(v, g('final_ln.scale'), g('final_ln.shift'), eps))), xs };
}

/** Largest absolute difference between two nested arrays of numbers. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  const fa = [a].flat(Infinity as 1) as number[];
  const fb = [b].flat(Infinity as 1) as number[];
  if (fa.length !== fb.length) return Infinity;
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - fb[i]!)), 0);
}
