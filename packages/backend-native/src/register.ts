import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernels } from './kernels/index.js';

/** The tfjs backend name of the native CPU backend. */
export const NATIVE_TFJS_NAME = 'flatsparse-native';

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

/**
 * tfjs-backend-wasm's own factory ('wasm'), taken once: each call starts a new wasm module and a
 * BackendWasm over it, as tfjs does for 'wasm' after a reset. Kept here so that the native backend
 * still starts after `tf.removeBackend('wasm')`.
 */
let wasmFactory: BackendFactory | undefined;
let kernelsRegistered = false;

/**
 * Registers the tfjs backend 'flatsparse-native' (kernels once per process; the backend again when it
 * was removed with `tf.removeBackend`). Its factory starts a BackendWasm of its own on a new wasm module
 * each time tfjs calls it (at the first `setBackend`, and after `tf.engine().reset()` or a removal),
 * exactly as the 'wasm' factory does: the backend owns that instance (disposing it frees the module and
 * every tensor on it), and removing or resetting 'wasm' leaves it alone. Its kernels are tfjs-backend-wasm's,
 * with the native ones in place of those they replace; the wasm kernels bind their module's functions
 * in their setup, which tfjs runs on each `setBackend`, so each backend's kernels run on its own module.
 * Does not change the active backend; the caller selects the native one.
 */
export async function registerNativeBackend(addon: NativeAddon): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  wasmFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  const start = wasmFactory;
  if (start === undefined) throw new Error("tfjs-backend-wasm's backend 'wasm' was removed before the native backend was first registered; register the native backend first");
  if (!kernelsRegistered) {
    registerKernels(addon);
    kernelsRegistered = true;
  }
  if (tf.findBackendFactory(NATIVE_TFJS_NAME) === null) tf.registerBackend(NATIVE_TFJS_NAME, () => start(), 1);
}

/**
 * The wasm kernels under the native name, then the native kernels in place of the ones they replace.
 * A native kernel keeps the setup of the wasm kernel it replaces: it falls back to that kernel for the
 * forms it does not cover, and other wasm kernels call it directly, so its module functions must be
 * bound to the native backend's module whenever that backend is selected.
 */
function registerKernels(addon: NativeAddon): void {
  const wasmKernel = (name: string): tf.KernelConfig => {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`tfjs-backend-wasm has no '${name}' kernel to fall back to`);
    return kernel;
  };
  const own = nativeKernels(addon, NATIVE_TFJS_NAME, wasmKernel);
  const names = new Set(own.map((k) => k.kernelName));
  for (const kernel of tf.getKernelsForBackend('wasm')) {
    if (!names.has(kernel.kernelName)) tf.registerKernel({ ...kernel, backendName: NATIVE_TFJS_NAME });
  }
  for (const kernel of own) tf.registerKernel(withWasmSetup(kernel, tf.getKernel(kernel.kernelName, 'wasm')));
}

type Hook = NonNullable<tf.KernelConfig['setupFunc']>;

/** Both hooks in order, either where only one is given. */
function chain(first: Hook | undefined, second: Hook | undefined): Hook | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return (backend) => {
    first(backend);
    second(backend);
  };
}

/** The kernel, with the setup of the wasm kernel it replaces run before its own (and its disposal after). */
function withWasmSetup(kernel: tf.KernelConfig, replaced: tf.KernelConfig | undefined): tf.KernelConfig {
  const setupFunc = chain(replaced?.setupFunc, kernel.setupFunc);
  const disposeFunc = chain(kernel.disposeFunc, replaced?.disposeFunc);
  return { ...kernel, ...(setupFunc === undefined ? {} : { setupFunc }), ...(disposeFunc === undefined ? {} : { disposeFunc }) };
}
