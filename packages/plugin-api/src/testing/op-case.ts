import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random.js';
import { compareArrays, fmt, type Tolerance } from './compare.js';
import { finiteDifferenceGrad } from './finite-difference.js';
import type { CaseInput } from './inputs.js';
import { nd, type Nd } from './reference-nd.js';
import type { CaseResult, ConformanceCase } from './types.js';

/** Tolerances of forward values, float32 arithmetic (norm-wise: atol + rtol * max|reference|). */
export const FORWARD_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Tolerances of gradients against float64 finite differences (accumulation over a few dozen terms). */
export const GRAD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
/** Exact comparison (booleans, integers, copies). */
export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** A tensor op checked against a float64 plain-JS reference, forward and (optionally) gradient. */
export interface OpCaseSpec {
  readonly name: string;
  readonly group: string;
  /** Draws the inputs (float32 values: the reference sees exactly what the backend sees). */
  inputs(rng: Rng): CaseInput[];
  /** The op(s) under test, on the active backend. */
  forward(...xs: tf.Tensor[]): tf.Tensor;
  /** float64 reference of the forward pass. */
  reference(...xs: Nd[]): Nd;
  /** Forward tolerance (default FORWARD_TOL). */
  readonly tol?: Tolerance;
  /** Gradient tolerance; omit to skip the gradient check (non-differentiable ops). */
  readonly gradTol?: Tolerance;
  /** Analytic gradient of sum(f * w) for each checked input (default: finite differences of `reference`). */
  referenceGrad?(xs: readonly Nd[], w: Nd, which: readonly number[]): Nd[];
}

interface Part {
  readonly label: string;
  readonly passed: boolean;
  readonly maxAbsError: number;
  readonly tolerance: number;
}

/** Builds a ConformanceCase from an OpCaseSpec; every tensor it creates is disposed before it returns. */
export function opCase(spec: OpCaseSpec): ConformanceCase {
  return { name: spec.name, group: spec.group, run: (rng) => runOpCase(spec, rng) };
}

async function runOpCase(spec: OpCaseSpec, rng: Rng): Promise<CaseResult> {
  const inputs = spec.inputs(rng);
  const xs64 = inputs.map((i) => nd(i.shape, i.values));
  const expected = spec.reference(...xs64);
  const held: tf.Tensor[] = [];
  try {
    const xs = inputs.map((i) => track(held, tf.tensor(i.values, [...i.shape], i.dtype)));
    const out = track(held, tf.tidy(() => spec.forward(...xs)));
    const parts: Part[] = [await compareTensor('forward', out, expected, spec.tol ?? FORWARD_TOL)];
    if (spec.gradTol) {
      const which = inputs.flatMap((input, k) => (input.grad && input.dtype === 'float32' ? [k] : []));
      const w = rng.fill(expected.data.length);
      const dy = track(held, tf.tensor(w, [...expected.shape], 'float32'));
      const f = (...vars: tf.Tensor[]): tf.Tensor => spec.forward(...xs.map((x, k) => (which.includes(k) ? vars[which.indexOf(k)]! : x)));
      const grads = tf.tidy(() => tf.grads(f)(which.map((k) => xs[k]!), dy));
      grads.forEach((g) => track(held, g));
      const w64 = nd(expected.shape, w);
      const refGrads = spec.referenceGrad ? spec.referenceGrad(xs64, w64, which) : finiteDifferenceGrad(spec.reference, xs64, w64, which);
      for (let j = 0; j < which.length; j++) parts.push(await compareTensor(`d/dx${which[j]}`, grads[j]!, refGrads[j]!, spec.gradTol));
    }
    return mergeParts(parts);
  } finally {
    for (const t of held) t.dispose();
  }
}

function track<T extends tf.Tensor>(held: tf.Tensor[], t: T): T {
  held.push(t);
  return t;
}

async function compareTensor(label: string, actual: tf.Tensor, expected: Nd, tol: Tolerance): Promise<Part> {
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return { label: `${label} shape [${actual.shape.join(', ')}] (expected [${expected.shape.join(', ')}])`, passed: false, maxAbsError: Infinity, tolerance: 0 };
  }
  const values = Array.from(await actual.data(), Number);
  const c = compareArrays(values, expected.data, tol);
  const at = c.passed ? '' : ` at #${c.worstIndex}: got ${values[c.worstIndex]}, expected ${expected.data[c.worstIndex]}`;
  return { label: `${label} ${fmt(c.maxAbsError)} <= ${fmt(c.tolerance)}${at}`, passed: c.passed, maxAbsError: c.maxAbsError, tolerance: c.tolerance };
}

/** Merges the comparisons of a case: the worst by error/tolerance ratio is reported. */
export function mergeParts(parts: readonly Part[]): CaseResult {
  const ratio = (p: Part): number => (p.maxAbsError === 0 ? 0 : p.tolerance === 0 ? Infinity : p.maxAbsError / p.tolerance);
  const worst = parts.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
  return {
    passed: parts.every((p) => p.passed),
    maxAbsError: worst.maxAbsError,
    tolerance: worst.tolerance,
    detail: parts.map((p) => `${p.passed ? '' : 'FAIL '}${p.label}`).join('; '),
  };
}
