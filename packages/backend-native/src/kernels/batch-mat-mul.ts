import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, offsetOrNone, sizeOf, type WasmHeapBackend } from '../heap.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The product's sizes, or undefined when the native path does not cover it (then the wasm kernel runs). */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean) {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = transB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== k2) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  // Batches that do not broadcast throw, as on tfjs-backend-cpu.
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  // The same batch, or one operand without a batch (broadcast over the other's); else the wasm kernel runs.
  const same = outerA.length === outerB.length && outerA.every((s, i) => s === outerB[i]);
  if (!same && batchA !== 1 && batchB !== 1) return undefined;
  const batch = Math.max(batchA, batchB);
  return { m, n, k, batch, strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n, outShape: [...outer, m, n] };
}

type Plan = NonNullable<ReturnType<typeof plan>>;

/** Runs the product into a new output. */
function product(addon: NativeAddon, backend: WasmHeapBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, p: Plan): tf.TensorInfo {
  const out = backend.makeOutput(p.outShape, 'float32');
  if (sizeOf(p.outShape) === 0) return out;
  addon.gemm(heapOf(backend), transA, transB, p.batch, p.m, p.n, p.k, 1, offsetOf(backend, a), p.strideA, offsetOf(backend, b), p.strideB, offsetOf(backend, out), -1, false);
  return out;
}

/** BatchMatMul on the addon's GEMM (the BLAS library it found, else its built-in one), transpose flags and batch broadcasting included. */
export function batchMatMulKernel(addon: NativeAddon, backendName: string, fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const transA = args.attrs?.['transposeA'] === true;
      const transB = args.attrs?.['transposeB'] === true;
      const p = plan(a, b, transA, transB);
      if (p === undefined) return fallback.kernelFunc(args);
      return product(addon, args.backend as unknown as WasmHeapBackend, a, b, transA, transB, p);
    },
  };
}

/** The fused activations, as the addon numbers them (native/kernels.h). */
const ACTIVATION: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, elu: 3, prelu: 4, leakyrelu: 5, sigmoid: 6 };
const PRELU = 4;

/**
 * The shape of the product once `what` (of shape `shape`) is applied element-wise, as tfjs-backend-cpu's
 * add / prelu broadcast it. A bias or alpha that would enlarge the product is refused (tfjs's fused op
 * could not reshape such a result either).
 */
function widened(out: readonly number[], shape: readonly number[], what: string): number[] {
  const s = tf.backend_util.assertAndGetBroadcastShape([...out], [...shape]);
  if (sizeOf(s) !== sizeOf(out)) throw new Error(`fused matMul: the ${what} of shape [${shape.join(', ')}] would broadcast the product of shape [${out.join(', ')}] to [${s.join(', ')}]`);
  return s;
}

/** Element strides of a tensor of shape `shape` read at each index of `out` (aligned on the right; 0 where it broadcasts). */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let step = 1;
  for (let i = 1; i <= shape.length; i++) {
    const d = shape[shape.length - i]!;
    if (d !== 1) strides[out.length - i] = step;
    step *= d;
  }
  return strides;
}

/** The one stride S with element offset = S * (flat batch index) over the outer dims, or undefined when there is none. */
function uniformStride(outer: readonly number[], strides: readonly number[]): number | undefined {
  let stride: number | undefined;
  let inner = 1;
  for (let d = outer.length - 1; d >= 0; d--) {
    if (outer[d] === 1) continue;
    stride ??= strides[d]! / inner;
    if (strides[d] !== stride * inner) return undefined;
    inner *= outer[d]!;
  }
  return stride ?? 0;
}

/** Element offset of batch entry `i` (row-major over `outer`). */
function batchOffset(outer: readonly number[], strides: readonly number[], i: number): number {
  let offset = 0;
  for (let d = outer.length - 1; d >= 0; d--) {
    const size = outer[d]!;
    offset += (i % size) * strides[d]!;
    i = Math.floor(i / size);
  }
  return offset;
}

/** A float32 copy of an int32 or bool tensor (freed by the caller), or the tensor itself. */
function asFloat32(backend: WasmHeapBackend, t: tf.TensorInfo, temporaries: tf.TensorInfo[]): tf.TensorInfo {
  if (t.dtype === 'float32') return t;
  const out = backend.makeOutput(t.shape, 'float32');
  temporaries.push(out);
  const n = sizeOf(t.shape);
  const buffer = heapOf(backend);
  const src = t.dtype === 'int32' ? new Int32Array(buffer, offsetOf(backend, t), n) : new Uint8Array(buffer, offsetOf(backend, t), n);
  new Float32Array(buffer, offsetOf(backend, out), n).set(src);
  return out;
}

/**
 * _FusedMatMul on the addon's GEMM, as tfjs-backend-cpu computes it: the product, + a bias of any shape
 * that broadcasts to it (a scalar, [n], [m, 1], [m, n], one per batch entry...), then any fused
 * activation (linear, relu, relu6, elu, prelu with alpha of any broadcasting shape, leakyrelu,
 * sigmoid), in one pass over the output on every thread (an int32 or bool bias or alpha is read as
 * float32). Non-float32 operands, an unknown activation and batches that each broadcast the other's
 * (which tfjs's fused op never passes) run the wasm kernel.
 */
export function fusedMatMulKernel(addon: NativeAddon, backendName: string, fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf._FusedMatMul,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
      const transA = args.attrs?.['transposeA'] === true;
      const transB = args.attrs?.['transposeB'] === true;
      const activation = ACTIVATION[(args.attrs?.['activation'] as string | undefined) ?? 'linear'];
      const p = plan(a, b, transA, transB);
      const numeric = (t: tf.TensorInfo | undefined): boolean => t === undefined || t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';
      if (p === undefined || activation === undefined || !numeric(bias) || !numeric(preluActivationWeights)) return fallback.kernelFunc(args);
      if (activation === PRELU && preluActivationWeights === undefined) throw new Error('fused matMul: the prelu activation needs preluActivationWeights');
      const backend = args.backend as unknown as WasmHeapBackend;
      const temporaries: tf.TensorInfo[] = [];
      try {
        const biasF = bias === undefined ? undefined : asFloat32(backend, bias, temporaries);
        const alphaF = activation === PRELU ? asFloat32(backend, preluActivationWeights!, temporaries) : undefined;
        let outShape = p.outShape;
        if (biasF !== undefined) outShape = widened(outShape, biasF.shape, 'bias');
        if (alphaF !== undefined) outShape = widened(outShape, alphaF.shape, 'prelu weights');
        const out = backend.makeOutput(outShape, 'float32');
        if (sizeOf(outShape) === 0) return out;
        const outer = outShape.slice(0, -2);
        const rank = outShape.length;
        const leakyAlpha = Number(args.attrs?.['leakyreluAlpha'] ?? 0.2);
        // Each operand's strides over the output's outer dims, rows and columns.
        const operands = [biasF, alphaF].map((t) => {
          if (t === undefined) return undefined;
          const strides = broadcastStrides(t.shape, outShape);
          return { offset: offsetOf(backend, t), outer: strides.slice(0, -2), batch: uniformStride(outer, strides.slice(0, -2)) ?? null, row: strides[rank - 2]!, col: strides[rank - 1]! };
        });
        const [bi, al] = operands;
        const heap = heapOf(backend);
        const offA = offsetOf(backend, a);
        const offB = offsetOf(backend, b);
        const offOut = offsetOf(backend, out);
        type Operand = NonNullable<(typeof operands)[number]>;
        const call = (i: number, batch: number, offset: (o: Operand) => number, stride: (o: Operand) => number): void =>
          addon.fusedGemm(heap, transA, transB, batch, p.m, p.n, p.k, offA + 4 * i * p.strideA, p.strideA, offB + 4 * i * p.strideB, p.strideB, offOut + 4 * i * p.m * p.n,
            bi === undefined ? -1 : offset(bi), bi === undefined ? 0 : stride(bi), bi?.row ?? 0, bi?.col ?? 0, activation,
            al === undefined ? -1 : offset(al), al === undefined ? 0 : stride(al), al?.row ?? 0, al?.col ?? 0, leakyAlpha);
        if (bi?.batch !== null && al?.batch !== null) {
          // One call: every operand steps by one stride per batch entry.
          call(0, p.batch, (o) => o.offset, (o) => o.batch ?? 0);
        } else {
          // A bias or alpha broadcast over some outer dims but not others: one call per batch entry.
          for (let i = 0; i < p.batch; i++) call(i, 1, (o) => o.offset + 4 * batchOffset(outer, o.outer, i), () => 0);
        }
        return out;
      } finally {
        for (const t of temporaries) backend.disposeData(t.dataId, true);
      }
    },
  };
}
