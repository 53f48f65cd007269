import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Registers tfjs-backend-cpu, the reference the native kernels and the webgpu kernel overrides are
 * held to, without selecting it, resolved from @flatsparse/backend-wasm (its fallback). tfjs keeps one
 * engine per process, so its registration is the tests' own.
 */
export async function registerCpu(): Promise<void> {
  if (tf.findBackendFactory('cpu') !== null) return;
  const require = createRequire(new URL('../../packages/backend-wasm/package.json', import.meta.url));
  await import(pathToFileURL(require.resolve('@tensorflow/tfjs-backend-cpu')).href);
  if (tf.findBackendFactory('cpu') === null) throw new Error('tfjs-backend-cpu did not register its backend');
}

/** f's outputs on backend `name` (inputs made inside f), read back. */
export async function runOn(name: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(list);
  return values;
}

/** Where two results differ: NaN where the other is not, or |a - b| > atol + rtol |b|; undefined when they agree. */
export function firstDifference(actual: Float32Array, expected: Float32Array, atol = 1e-5, rtol = 1e-4): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return `[${i}]: ${a}, expected ${b}`;
    } else if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (a !== b) return `[${i}]: ${a}, expected ${b}`;
    } else if (Math.abs(a - b) > atol + rtol * Math.abs(b)) return `[${i}]: ${a}, expected ${b}`;
  }
  return undefined;
}
