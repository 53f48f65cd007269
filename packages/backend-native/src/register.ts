import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernels } from './kernels/index.js';

/** The tfjs backend name of the native CPU backend. */
export const NATIVE_TFJS_NAME = 'flatsparse-native';

/**
 * The wasm backend instance as the native backend sees it: every member is the instance's own (the
 * tensors, their ids and the heap are shared: a tensor made on one is readable on the other without a
 * copy), except dispose, which does nothing, so that tfjs disposing both names cannot free the module twice.
 */
function sharedView(instance: tf.KernelBackend): tf.KernelBackend {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(instance, {
    get(target, prop) {
      if (prop === 'dispose') return () => undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined) {
        fn = (value as (...a: unknown[]) => unknown).bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

let registered: Promise<void> | undefined;

/**
 * Registers the tfjs backend 'flatsparse-native' once per process: the tfjs-backend-wasm instance
 * (initialised here) with every wasm kernel, and the native kernels in place of the wasm ones they
 * replace. Leaves 'wasm' active; the caller selects the native backend.
 */
export function registerNativeBackend(addon: NativeAddon): Promise<void> {
  registered ??= register(addon).catch((err: unknown) => {
    registered = undefined;
    throw err;
  });
  return registered;
}

async function register(addon: NativeAddon): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to initialise (tf.setBackend("wasm") returned false)');
  const instance = tf.backend();
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
  for (const kernel of own) tf.registerKernel(kernel);
  tf.registerBackend(NATIVE_TFJS_NAME, () => sharedView(instance), 1);
}
