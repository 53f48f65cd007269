import { nativeBackend, NATIVE_TFJS_NAME } from '@flatsparse/backend-native';
import { Rng } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCpu, runOn } from '../support/cpu-reference.js';

// The native backend survives what tfjs users (and tfjs's own test harness, which resets the engine
// before every suite) do to backends, as the stock ones do: tf.engine().reset(), tf.removeBackend of
// 'wasm' or of itself, and registering again. Its factory starts a wasm module of its own each time
// tfjs calls it; after each of these the numbers are checked (against tfjs-backend-cpu for a product
// large enough to be split across threads), and the old instance must be disposed with its tensors.
// The cases run in order in this file's own process (the last one removes 'wasm').

const native = nativeBackend();
const availability = await safeAvailability(native);
if (!availability.available) console.warn(`[skip] backend 'native' is not available: ${availability.reason} Fix: ${availability.fix}`);

/** What the tests read of a BackendWasm: its module (null once disposed) and its tensors. */
type Instance = tf.KernelBackend & { wasm: object | null };
const current = (): Instance => tf.backend() as Instance;

const rng = new Rng(25);
const bigA = rng.fill(70 * 90, (r) => r.normal());
const bigB = rng.fill(90 * 50, (r) => r.normal());
const bigBias = rng.fill(50, (r) => r.normal());
const bigProduct = (): tf.Tensor =>
  tf.fused.matMul({ a: tf.tensor2d(bigA, [70, 90]), b: tf.tensor2d(bigB, [90, 50]), bias: tf.tensor1d(bigBias), activation: 'relu' });
let reference: Float32Array;

/** The native backend is active and computes correctly: its own kernels, a wasm kernel, one it falls back to, one wasm lacks; nothing is left behind. */
async function computesCorrectly(): Promise<void> {
  expect(tf.getBackend()).toBe(NATIVE_TFJS_NAME);
  const before = tf.memory().numTensors;
  const dataIds = current().numDataIds();
  const values = await Promise.all(
    tf
      .tidy(() => {
        const a = tf.tensor2d([[1, 2], [3, 4]]);
        const b = tf.tensor2d([[5, 6], [7, 8]]);
        return [
          tf.matMul(a, b),
          tf.fused.matMul({ a, b, bias: tf.tensor1d([1, -100]), activation: 'relu' }),
          tf.sum(a),
          tf.mean(a, 0),
          tf.add(a, b),
          tf.sin(tf.zeros([2])), // a wasm kernel
          tf.matMul(tf.ones([2, 3, 2, 3]), tf.ones([3, 3, 2])), // a batch broadcast the native product leaves to wasm's kernel
          tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 1, 0, 1], 'int32'), 2), // absent on wasm
          bigProduct(),
        ];
      })
      .map(async (t) => {
        const v = Array.from(await t.data());
        t.dispose();
        return v;
      }),
  );
  expect(values.slice(0, 8)).toEqual([[19, 22, 43, 50], [20, 0, 44, 0], [10], [2, 3], [6, 8, 10, 12], [0, 0], new Array(24).fill(3), [4, 6]]);
  const big = values[8]!;
  const worst = Math.max(...big.map((v, i) => Math.abs(v - reference[i]!)));
  expect(worst).toBeLessThan(1e-4);
  expect(tf.memory().numTensors).toBe(before);
  expect(current().numDataIds()).toBe(dataIds);
}

describe.skipIf(!availability.available)('the native backend survives resets and removals', () => {
  beforeAll(async () => {
    await registerCpu();
    [reference] = (await runOn('cpu', bigProduct)) as [Float32Array];
    await native.init();
  });

  it('survives tf.engine().reset(), again and again: a new instance each time, the old one disposed with its tensors', async () => {
    await computesCorrectly();
    for (let round = 0; round < 3; round++) {
      const old = current();
      const kept = tf.tensor1d([1, 2, 3]);
      expect(old.numDataIds()).toBeGreaterThan(0);
      tf.engine().reset();
      expect(old.wasm).toBeNull(); // its module (and every tensor on it) released
      expect(kept.isDisposed).toBe(false); // tfjs forgets such tensors; reading one is the caller's error, as on every backend
      expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
      expect(tf.memory().numTensors).toBe(0);
      expect(current()).not.toBe(old);
      expect(current().wasm).not.toBeNull();
      expect(current().numDataIds()).toBe(0);
      await computesCorrectly();
    }
  });

  it('nativeBackend().init() after a reset selects a fresh instance, as the first init did', async () => {
    const old = current();
    tf.engine().reset();
    const info = await nativeBackend().init();
    expect(info.tfjsName).toBe(NATIVE_TFJS_NAME);
    expect(old.wasm).toBeNull();
    expect(current().numDataIds()).toBe(0);
    await computesCorrectly();
  });

  it('switches to and from wasm: each backend has its own module, tensors move between them, the kernels rebind', async () => {
    const onNative = tf.tensor2d([[1, 2], [3, 4]]);
    const nativeInstance = current();
    const [onWasm] = await runOn('wasm', () => tf.matMul(onNative, onNative));
    expect(Array.from(onWasm!)).toEqual([7, 10, 15, 22]);
    const wasmInstance = tf.backend() as Instance;
    expect(wasmInstance).not.toBe(nativeInstance);
    expect(wasmInstance.wasm).not.toBe(nativeInstance.wasm);
    // 'wasm' was initialised last; the native backend's kernels (its fallbacks included) must run on its own module again.
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    await computesCorrectly();
    const squared = tf.square(onNative);
    expect(Array.from(await squared.data())).toEqual([1, 4, 9, 16]);
    tf.dispose([squared, onNative]);
    expect(nativeInstance.numDataIds()).toBe(0);
    expect(wasmInstance.numDataIds()).toBe(0);
    // A reset disposes both, each once.
    tf.engine().reset();
    expect(nativeInstance.wasm).toBeNull();
    expect(wasmInstance.wasm).toBeNull();
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    await computesCorrectly();
  });

  it('tf.removeBackend(native) disposes its instance; nativeBackend().init() registers it again', async () => {
    const old = current();
    const t = tf.tensor1d([1, 2, 3]);
    t.dispose();
    expect(old.numDataIds()).toBe(0);
    tf.removeBackend(NATIVE_TFJS_NAME);
    expect(old.wasm).toBeNull();
    expect(tf.findBackendFactory(NATIVE_TFJS_NAME)).toBeNull();
    await expect(tf.setBackend(NATIVE_TFJS_NAME)).rejects.toThrow(/not found in registry/);
    await nativeBackend().init();
    expect(current()).not.toBe(old);
    expect(current().numDataIds()).toBe(0);
    expect(tf.memory().numTensors).toBe(0);
    await computesCorrectly();
    // Again, and a reset after it.
    tf.removeBackend(NATIVE_TFJS_NAME);
    await nativeBackend().init();
    await computesCorrectly();
    tf.engine().reset();
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    await computesCorrectly();
  });

  it("tf.removeBackend('wasm') leaves the native backend and its tensors alone; 'wasm' can be registered again", async () => {
    await runOn('wasm', () => tf.ones([2]));
    const wasmFactory = tf.findBackendFactory('wasm');
    expect(wasmFactory).not.toBeNull();
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    const kept = tf.tensor1d([1, 2, 3]);
    tf.removeBackend('wasm');
    expect(Array.from(await kept.data())).toEqual([1, 2, 3]);
    const doubled = tf.mul(kept, 2);
    expect(Array.from(await doubled.data())).toEqual([2, 4, 6]);
    doubled.dispose();
    await computesCorrectly();
    kept.dispose();
    // Without 'wasm' registered, the native backend still starts again after a reset.
    tf.engine().reset();
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    await computesCorrectly();
    // And 'wasm', registered again, runs beside it.
    tf.registerBackend('wasm', wasmFactory!, 2);
    const [sum] = await runOn('wasm', () => tf.sum(tf.tensor1d([1, 2, 3])));
    expect(Array.from(sum!)).toEqual([6]);
    expect(await tf.setBackend(NATIVE_TFJS_NAME)).toBe(true);
    await computesCorrectly();
  });
});
