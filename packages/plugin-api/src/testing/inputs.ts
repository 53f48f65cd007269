import type { Rng } from '../random.js';
import { sizeOf } from './reference-nd.js';

/** One input of an op case: values, shape, dtype and whether its gradient is checked. */
export interface CaseInput {
  readonly shape: readonly number[];
  readonly values: Float32Array | Int32Array | Uint8Array;
  readonly dtype: 'float32' | 'int32' | 'bool';
  /** Whether the gradient with respect to this input is checked (float32 inputs only). */
  readonly grad: boolean;
}

/** How random float inputs are drawn. */
export interface FloatDraw {
  /** Uniform in [lo, hi] instead of normal. */
  readonly range?: readonly [number, number];
  /** Standard deviation of the normal draw (default 1). */
  readonly scale?: number;
  /** Points to stay away from (kinks of the op): values within `gap` are redrawn. */
  readonly avoid?: readonly number[];
  /** Minimum distance from the points in `avoid` (default 0.05). */
  readonly gap?: number;
  /** Whether the gradient is checked (default true). */
  readonly grad?: boolean;
}

/** Random float32 input; the reference is computed from these float32-rounded values. */
export function floats(rng: Rng, shape: readonly number[], draw: FloatDraw = {}): CaseInput {
  const { range, scale = 1, avoid = [], gap = 0.05 } = draw;
  const one = (): number => (range ? range[0] + (range[1] - range[0]) * rng.uniform() : scale * rng.normal());
  const values = rng.fill(sizeOf(shape), () => {
    for (;;) {
      const v = Math.fround(one());
      if (avoid.every((p) => Math.abs(v - p) >= gap)) return v;
    }
  });
  return { shape, values, dtype: 'float32', grad: draw.grad ?? true };
}

/** Fixed float32 input (for NaN/Infinity or planted ties); its gradient is not checked unless asked. */
export function fixed(shape: readonly number[], values: readonly number[], grad = false): CaseInput {
  return { shape, values: Float32Array.from(values), dtype: 'float32', grad };
}

/** Random int32 input in [0, max). */
export function ints(rng: Rng, shape: readonly number[], max: number): CaseInput {
  return { shape, values: Int32Array.from({ length: sizeOf(shape) }, () => rng.int(max)), dtype: 'int32', grad: false };
}

/** Random boolean input (true with probability p). */
export function bools(rng: Rng, shape: readonly number[], p = 0.5): CaseInput {
  return { shape, values: Uint8Array.from({ length: sizeOf(shape) }, () => (rng.uniform() < p ? 1 : 0)), dtype: 'bool', grad: false };
}
