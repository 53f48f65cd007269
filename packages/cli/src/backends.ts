import { wasmBackend } from '@flatsparse/backend-wasm';
import { cudaBackend } from '@flatsparse/backend-cuda';
import { webgpuBackend } from '@flatsparse/backend-webgpu';
import type { Backend } from '@flatsparse/core';

/** The backends the CLI knows, as fresh descriptors (nothing is imported or registered until init). */
export function defaultBackends(): Backend[] {
  return [cudaBackend(), webgpuBackend(), wasmBackend()];
}
