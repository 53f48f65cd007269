import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, type WasmHeapBackend } from '../heap.js';

function sizes(attrs: tf.NamedAttrMap | undefined): { batch: number; tokens: number; heads: number; causal: boolean } {
  return { batch: Number(attrs?.['batch']), tokens: Number(attrs?.['tokens']), heads: Number(attrs?.['heads']), causal: attrs?.['causal'] === true };
}

/** FlatsparseAttention: queries, keys and values read in place from the fused projection, every (batch, head) pair as strided products (see FusedKernel.Attention). */
export function attentionKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.Attention,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const qkv = inputs['qkv'] as tf.TensorInfo;
      const { batch, tokens, heads, causal } = sizes(attrs);
      const d = qkv.shape[1]! / 3;
      const out = b.makeOutput([qkv.shape[0]!, d], 'float32');
      const probs = b.makeOutput([batch, heads, tokens, tokens], 'float32');
      addon.attention(heapOf(b), batch, tokens, heads, d, causal, offsetOf(b, qkv), offsetOf(b, out), offsetOf(b, probs));
      return [out, probs];
    },
  };
}

/** FlatsparseAttentionGrad: the gradient of the fused projection's output from the saved weights (see FusedKernel.AttentionGrad). */
export function attentionGradKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.AttentionGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { dy, qkv, probs } = inputs as { dy: tf.TensorInfo; qkv: tf.TensorInfo; probs: tf.TensorInfo };
      const { batch, tokens, heads } = sizes(attrs);
      const d = qkv.shape[1]! / 3;
      const dqkv = b.makeOutput(qkv.shape, 'float32');
      addon.attentionGrad(heapOf(b), batch, tokens, heads, d, offsetOf(b, dy), offsetOf(b, qkv), offsetOf(b, probs), offsetOf(b, dqkv));
      return [dqkv];
    },
  };
}
