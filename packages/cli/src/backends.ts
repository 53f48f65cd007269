import { nativeBackend } from '@flatsparse/backend-native';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { cudaBackend, tensorflowCpuBackend } from '@flatsparse/backend-cuda';
import { webgpuBackend } from '@flatsparse/backend-webgpu';
import type { Backend } from '@flatsparse/plugin-api';

/** Choices the command line passes on to the backends. */
export interface DefaultBackendsOptions {
  /**
   * Let 'cuda' run on the CPU when tfjs-node-gpu loads but TensorFlow sees no GPU (default: the
   * environment variable FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK=1, else false: such a run fails).
   */
  readonly allowCpuFallback?: boolean;
}

/** The backends the CLI knows, as fresh descriptors (nothing is imported or registered until init). */
export function defaultBackends(options: DefaultBackendsOptions = {}, env: NodeJS.ProcessEnv = process.env): Backend[] {
  const allowCpuFallback = options.allowCpuFallback ?? env.FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK === '1';
  return [cudaBackend({ allowCpuFallback }), webgpuBackend(), nativeBackend(), tensorflowCpuBackend(), wasmBackend()];
}
