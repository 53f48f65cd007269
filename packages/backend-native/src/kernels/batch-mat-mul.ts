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
  // The same batch, or one operand without a batch (broadcast over the other's); else the wasm kernel runs.
  const same = outerA.length === outerB.length && outerA.every((s, i) => s === outerB[i]);
  if (!same && batchA !== 1 && batchB !== 1) return undefined;
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = Math.max(batchA, batchB);
  return { m, n, k, batch, strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n, outShape: [...outer, m, n] };
}

/** Runs the product (bias and relu optional) into a new output. */
function product(addon: NativeAddon, backend: WasmHeapBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, p: NonNullable<ReturnType<typeof plan>>, bias?: tf.TensorInfo, relu = false): tf.TensorInfo {
  const out = backend.makeOutput(p.outShape, 'float32');
  if (sizeOf(p.outShape) === 0) return out;
  addon.gemm(heapOf(backend), transA, transB, p.batch, p.m, p.n, p.k, 1, offsetOf(backend, a), p.strideA, offsetOf(backend, b), p.strideB, offsetOf(backend, out), offsetOrNone(backend, bias), relu);
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

/** _FusedMatMul (bias of the output's last size, activation linear or relu) on the addon's GEMM; other forms run the wasm kernel. */
export function fusedMatMulKernel(addon: NativeAddon, backendName: string, fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf._FusedMatMul,
    backendName,
    kernelFunc: (args: KernelArgs) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
      const transA = args.attrs?.['transposeA'] === true;
      const transB = args.attrs?.['transposeB'] === true;
      const activation = (args.attrs?.['activation'] as string | undefined) ?? 'linear';
      const p = plan(a, b, transA, transB);
      const biasFits = bias === undefined || (bias.dtype === 'float32' && p !== undefined && sizeOf(bias.shape) === p.n && bias.shape[bias.shape.length - 1] === p.n);
      if (p === undefined || !biasFits || preluActivationWeights !== undefined || (activation !== 'linear' && activation !== 'relu')) return fallback.kernelFunc(args);
      return product(addon, args.backend as unknown as WasmHeapBackend, a, b, transA, transB, p, bias, activation === 'relu');
    },
  };
}
