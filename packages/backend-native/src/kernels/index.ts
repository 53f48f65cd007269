import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { adamwKernel } from './adamw.js';
import { attentionGradKernel, attentionKernel } from './attention.js';
import { batchMatMulKernel, fusedMatMulKernel } from './batch-mat-mul.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './cross-entropy.js';
import { denseGradKernel } from './dense-grad.js';
import { elementwiseKernels } from './elementwise.js';
import { gapKernels } from './gaps.js';
import { globalNormKernel } from './global-norm.js';
import { castKernel, identityKernel } from './identity.js';
import { layerNormGradKernel, layerNormKernel } from './layer-norm.js';
import { metricKernels } from './metrics.js';

/**
 * Every kernel the native backend implements itself, in one explicit list: tfjs kernels it
 * replaces (the rest are tfjs-backend-wasm's, shared) and the fused kernels named by @flatsparse/plugin-api.
 * `wasmKernel(name)` is the wasm kernel a native one falls back to for forms it does not cover.
 */
export function nativeKernels(addon: NativeAddon, backendName: string, wasmKernel: (name: string) => tf.KernelConfig): tf.KernelConfig[] {
  return [
    batchMatMulKernel(addon, backendName, wasmKernel(tf.BatchMatMul)),
    fusedMatMulKernel(addon, backendName, wasmKernel(tf._FusedMatMul)),
    identityKernel(backendName),
    castKernel(backendName, wasmKernel(tf.Cast)),
    ...elementwiseKernels(addon, backendName, wasmKernel),
    ...gapKernels(backendName),
    layerNormKernel(addon, backendName),
    layerNormGradKernel(addon, backendName),
    attentionKernel(addon, backendName),
    attentionGradKernel(addon, backendName),
    denseGradKernel(addon, backendName),
    softmaxCrossEntropyKernel(addon, backendName),
    softmaxCrossEntropyGradKernel(addon, backendName),
    globalNormKernel(addon, backendName),
    adamwKernel(addon, backendName),
    ...metricKernels(addon, backendName),
  ];
}
