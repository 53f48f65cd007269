import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, sizeOf, type WasmHeapBackend } from '../heap.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

// Codes shared with native/elementwise.h.
const BINARY = { [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2, [tf.RealDiv]: 3 } as const;
const UNARY = { [tf.Step]: 0, [tf.Abs]: 1, [tf.Relu]: 2, [tf.Square]: 3, [tf.Neg]: 4, [tf.Exp]: 5, [tf.Sqrt]: 6 } as const;
const REDUCE = { [tf.Sum]: 0, [tf.Mean]: 1, [tf.Max]: 2 } as const;
const enum Mode {
  Same = 0,
  ScalarB = 1,
  ScalarA = 2,
  RowB = 3,
  RowA = 4,
  ColB = 5,
  ColA = 6,
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);
/** The shape without leading ones. */
const trimmed = (s: readonly number[]): readonly number[] => s.slice(Math.max(0, s.findIndex((d) => d !== 1)));

/** How the operands broadcast, or undefined for patterns left to the wasm kernel. */
function broadcastMode(a: tf.TensorInfo, b: tf.TensorInfo, out: readonly number[]): { mode: Mode; inner: number } | undefined {
  const inner = out[out.length - 1] ?? 1;
  if (sameShape(a.shape, b.shape)) return { mode: Mode.Same, inner };
  const n = sizeOf(out);
  if (sizeOf(b.shape) === 1 && sizeOf(a.shape) === n) return { mode: Mode.ScalarB, inner };
  if (sizeOf(a.shape) === 1 && sizeOf(b.shape) === n) return { mode: Mode.ScalarA, inner };
  if (sizeOf(a.shape) === n && sameShape(trimmed(b.shape), [inner])) return { mode: Mode.RowB, inner };
  if (sizeOf(b.shape) === n && sameShape(trimmed(a.shape), [inner])) return { mode: Mode.RowA, inner };
  // One value per row (a keepDims reduction over the last axis): [..., 1] against [..., inner].
  const perRow = out.slice(0, -1);
  const isColumn = (s: readonly number[]): boolean => s[s.length - 1] === 1 && sameShape(trimmed(s.slice(0, -1)), trimmed(perRow)) && sizeOf(s) === sizeOf(perRow);
  if (inner > 1 && sizeOf(a.shape) === n && isColumn(b.shape)) return { mode: Mode.ColB, inner };
  if (inner > 1 && sizeOf(b.shape) === n && isColumn(a.shape)) return { mode: Mode.ColA, inner };
  return undefined;
}

/** Add, Sub, Multiply, RealDiv on float32 for the same shape, a scalar, a row vector or one value per row; other forms run the wasm kernel. */
export function binaryKernel(addon: NativeAddon, backendName: string, kernelName: keyof typeof BINARY, fallback: tf.KernelConfig): tf.KernelConfig {
  const op = BINARY[kernelName];
  return {
    kernelName,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback.kernelFunc(args);
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const plan = broadcastMode(a, b, outShape);
      if (plan === undefined) return fallback.kernelFunc(args);
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput(outShape, 'float32');
      const n = sizeOf(outShape);
      if (n > 0) addon.binary(heapOf(backend), op, plan.mode, n, plan.inner, offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out));
      return out;
    },
  };
}

/** Step, Abs, Relu, Square, Neg, Exp, Sqrt on float32; other dtypes run the wasm kernel. */
export function unaryKernel(addon: NativeAddon, backendName: string, kernelName: keyof typeof UNARY, fallback: tf.KernelConfig): tf.KernelConfig {
  const op = UNARY[kernelName];
  return {
    kernelName,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      if (x.dtype !== 'float32') return fallback.kernelFunc(args);
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput(x.shape, 'float32');
      const n = sizeOf(x.shape);
      if (n > 0) addon.unary(heapOf(backend), op, n, offsetOf(backend, x), offsetOf(backend, out), Number(args.attrs?.['alpha'] ?? 0));
      return out;
    },
  };
}

/** The reduction as [outer, inner] with the reduced axes inner (0), outer (1) or all (2), or undefined. */
function reducePlan(shape: readonly number[], axes: readonly number[]): { mode: number; outer: number; inner: number } | undefined {
  const reduced = new Set(axes);
  const kinds = shape.map((s, i) => (s === 1 ? '' : reduced.has(i) ? 'R' : 'K')).join('');
  const keptSize = sizeOf(shape.filter((_, i) => !reduced.has(i)));
  const reducedSize = sizeOf(shape.filter((_, i) => reduced.has(i)));
  if (!kinds.includes('K')) return { mode: 2, outer: 1, inner: reducedSize };
  if (/^K*R*$/.test(kinds)) return { mode: 0, outer: keptSize, inner: reducedSize };
  if (/^R*K*$/.test(kinds)) return { mode: 1, outer: reducedSize, inner: keptSize };
  return undefined;
}

/**
 * Sum, Mean, Max of float32 as tfjs-backend-cpu computes them (sums in double, so the results at the
 * float range's edges are cpu's; Mean sums x / count), over trailing axes, leading axes or everything;
 * other axes are moved last first (wasm's Transpose, as cpu does). Other dtypes and empty tensors run
 * the wasm kernel.
 */
export function reduceKernel(addon: NativeAddon, backendName: string, kernelName: keyof typeof REDUCE, fallback: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelConfig {
  const op = REDUCE[kernelName];
  return {
    kernelName,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      const axisAttr = (args.attrs?.[kernelName === tf.Max ? 'reductionIndices' : 'axis'] ?? null) as number | number[] | null;
      if (x.dtype !== 'float32' || sizeOf(x.shape) === 0) return fallback.kernelFunc(args);
      const axes = tf.util.parseAxisParam(axisAttr ?? x.shape.map((_, i) => i), x.shape);
      const keepDims = args.attrs?.['keepDims'] === true;
      const outShape = keepDims ? x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !axes.includes(i));
      const backend = args.backend as unknown as WasmHeapBackend;
      let input = x;
      let plan = reducePlan(x.shape, axes);
      if (plan === undefined) {
        // Reduced axes between kept ones: the kept axes first, then the reduced ones, in one copy.
        const perm = [...x.shape.keys()].filter((i) => !axes.includes(i)).concat(axes.slice().sort((p, q) => p - q));
        input = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
        plan = { mode: 0, outer: sizeOf(x.shape.filter((_, i) => !axes.includes(i))), inner: sizeOf(axes.map((i) => x.shape[i]!)) };
      }
      try {
        const out = backend.makeOutput(outShape, 'float32');
        addon.reduce(heapOf(backend), op, plan.mode, plan.outer, plan.inner, offsetOf(backend, input), offsetOf(backend, out));
        return out;
      } finally {
        if (input !== x) backend.disposeData(input.dataId, true);
      }
    },
  };
}

/** Every element-wise kernel and reduction above, for the kernel list. */
export function elementwiseKernels(addon: NativeAddon, backendName: string, wasmKernel: (name: string) => tf.KernelConfig): tf.KernelConfig[] {
  return [
    ...(Object.keys(BINARY) as (keyof typeof BINARY)[]).map((name) => binaryKernel(addon, backendName, name, wasmKernel(name))),
    ...(Object.keys(UNARY) as (keyof typeof UNARY)[]).map((name) => unaryKernel(addon, backendName, name, wasmKernel(name))),
    ...(Object.keys(REDUCE) as (keyof typeof REDUCE)[]).map((name) => reduceKernel(addon, backendName, name, wasmKernel(name), wasmKernel(tf.Transpose))),
  ];
}
