import * as tf from '@tensorflow/tfjs-core';
import { BackendInitError } from '@flatsparse/plugin-api';

/**
 * A Node module-resolution hook: tfjs-core's ES-module build (which holds the gradient functions)
 * writes relative imports without '.js' (for bundlers), which Node's ESM loader refuses. The hook adds
 * the suffix, and only for relative imports made from inside `@tensorflow/tfjs-core/dist/`.
 */
const RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  if (/^\\.\\.?\\//.test(specifier) && !/\\.[cm]?js$/.test(specifier) && context.parentURL && context.parentURL.includes('/@tensorflow/tfjs-core/dist/')) {
    try { return await next(specifier + '.js', context); } catch { /* not a file: resolve as written */ }
  }
  return next(specifier, context);
}`;

let hookRegistered = false;

/**
 * Registers tfjs-core's gradient functions. tfjs-core registers none by itself (the `@tensorflow/tfjs`
 * bundle does it on import, with side effects flatsparse avoids), so the trainer and anything else that
 * differentiates calls this first; never on import. Idempotent. In Node the resolution hook above is
 * registered before the import (a failed ESM import stays failed for the process); under a bundler or
 * in a browser the import works as it is.
 */
export async function registerGradients(): Promise<void> {
  if (tf.getGradient('Sum') !== undefined && tf.getGradient('Select') !== undefined) return;
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  try {
    if (node !== undefined && !hookRegistered) {
      const { register } = await import('node:module');
      register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
      hookRegistered = true;
    }
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  } catch (err) {
    throw new BackendInitError('tfjs gradients', err, 'reinstall dependencies (pnpm install); if you bundle flatsparse, make sure @tensorflow/tfjs-core/dist/register_all_gradients.js is included.');
  }
  if (tf.getGradient('Sum') === undefined) {
    throw new BackendInitError('tfjs gradients', new Error('register_all_gradients loaded but registered no gradient (two copies of tfjs-core?)'), 'make sure only one version of @tensorflow/tfjs-core is installed (pnpm why @tensorflow/tfjs-core).');
  }
}
