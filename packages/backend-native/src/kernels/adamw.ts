import { FusedKernel } from '@flatsparse/plugin-api';
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { heapOf, offsetOf, offsetOrNone, sizeOf, type WasmHeapBackend } from '../heap.js';

/** FlatsparseAdamW: the update of a group of same-shaped parameters with stacked moments, one pass (see FusedKernel.AdamW). */
export function adamwKernel(addon: NativeAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: FusedKernel.AdamW,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmHeapBackend;
      const a = attrs ?? {};
      const count = Number(a['count']);
      const m = inputs['m'] as tf.TensorInfo;
      const v = inputs['v'] as tf.TensorInfo;
      const size = sizeOf(m.shape) / count;
      const params = Array.from({ length: count }, (_, i) => inputs[`param${i}`] as tf.TensorInfo);
      const m1 = b.makeOutput(m.shape, 'float32');
      const v1 = b.makeOutput(v.shape, 'float32');
      const outs = params.map((p) => b.makeOutput(p.shape, 'float32'));
      const [mo, vo, m1o, v1o] = [offsetOf(b, m), offsetOf(b, v), offsetOf(b, m1), offsetOf(b, v1)];
      const list = new Float64Array(8 * count);
      params.forEach((p, i) => {
        list.set([offsetOf(b, p), offsetOf(b, inputs[`grad${i}`] as tf.TensorInfo), mo + 4 * i * size, vo + 4 * i * size, offsetOf(b, outs[i]!), m1o + 4 * i * size, v1o + 4 * i * size, size], 8 * i);
      });
      const beta1 = Number(a['beta1']);
      const beta2 = Number(a['beta2']);
      addon.adamw(heapOf(b), list, Number(a['rate']), beta1, 1 - beta1, beta2, 1 - beta2, Number(a['epsilon']), Number(a['bc1']), Number(a['bc2']), Number(a['weightDecay']), offsetOrNone(b, inputs['gradScale'] as tf.TensorInfo | undefined), offsetOrNone(b, inputs['gate'] as tf.TensorInfo | undefined));
      return [m1, v1, ...outs];
    },
  };
}
