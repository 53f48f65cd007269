import type * as tf from '@tensorflow/tfjs-core';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/**
 * AddN for tfjs-backend-webgpu 4.22 in chunks: its AddN binds every input as a storage buffer in one
 * shader, so more than maxStorageBuffersPerShaderStage - 1 inputs (7 on most adapters) make WebGPU
 * reject the pipeline and the sum silently stays zero (tfjs's Concat splits its inputs; AddN does
 * not). Here the inputs are summed in chunks that fit, then the partial sums, with the original kernel.
 */
export function chunkedAddN(original: KernelFunc, maxInputs: (backend: object) => number): KernelFunc {
  const run: KernelFunc = (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const limit = Math.max(2, maxInputs(args.backend));
    if (inputs.length <= limit) return original(args);
    const backend = args.backend as tf.KernelBackend;
    const partials: tf.TensorInfo[] = [];
    try {
      for (let i = 0; i < inputs.length; i += limit) partials.push(original({ ...args, inputs: inputs.slice(i, i + limit) as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo);
      return run({ ...args, inputs: partials as unknown as tf.NamedTensorInfoMap });
    } finally {
      for (const p of partials) backend.disposeData(p.dataId);
    }
  };
  return run;
}
