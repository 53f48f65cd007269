import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Registers tfjs-backend-cpu (the reference the native kernels are held to) without selecting it. The
 * test package does not depend on it; @flatsparse/backend-wasm does (its fallback), so it is resolved
 * from there. tfjs keeps one engine per process, so its registration is the tests' own.
 */
export async function registerCpu(): Promise<void> {
  if (tf.findBackendFactory('cpu') !== null) return;
  const require = createRequire(new URL('../../packages/backend-wasm/package.json', import.meta.url));
  await import(pathToFileURL(require.resolve('@tensorflow/tfjs-backend-cpu')).href);
  if (tf.findBackendFactory('cpu') === null) throw new Error('tfjs-backend-cpu did not register its backend');
}

/** f's outputs on backend `name`, read back (inputs made before move to it). */
export async function runOn(name: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(list);
  return values;
}
