import { webgpuBackend, webgpuStatus } from '@flatsparse/backend-webgpu';
import { FlatsparseError, countTensors } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// One kernel that fails on the device must not take the backend down: a shader that does not compile
// is an error (E_BACKEND_KERNEL) for its op and for what is computed from it, and every other op goes
// on computing correctly; only a lost device makes the backend unavailable (E_BACKEND_UNAVAILABLE).
const backend = webgpuBackend({ allowSoftware: true });
const availability = await safeAvailability(backend);
if (!availability.available) console.warn(`[skip] backend 'webgpu' is not available: ${availability.reason} Fix: ${availability.fix}`);

const BROKEN = 'FlatsparseTestBrokenShader';

/** A tfjs-backend-webgpu program whose shader is not WGSL: WebGPU rejects its pipeline. */
class BrokenProgram {
  readonly variableNames = ['x'];
  readonly shaderKey = 'flatsparse_test_broken';
  readonly dispatchLayout = { x: [0] };
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly dispatch: [number, number, number];
  constructor(readonly outputShape: number[]) {
    this.dispatch = [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / 64), 1, 1];
  }
  getUserCode(): string {
    return 'fn main(index : i32) { let broken : i32 = this is not a shader; }';
  }
}

type ProgramRunner = { runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo };
const runBroken = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel(BROKEN, { x }, {}) as tf.Tensor;

async function rejection(promise: Promise<unknown>): Promise<FlatsparseError> {
  return promise.then(
    () => {
      throw new Error('did not reject');
    },
    (err: FlatsparseError) => err,
  );
}

function thrown(fn: () => unknown): FlatsparseError {
  try {
    fn();
  } catch (err) {
    return err as FlatsparseError;
  }
  throw new Error('did not throw');
}

describe.skipIf(!availability.available)('webgpu: a failed kernel is an error for its op; the backend stays usable', () => {
  const forward = tf.env().getFlags().WEBGPU_CPU_FORWARD;

  beforeAll(async () => {
    // Registered before init, like any custom kernel loaded with a plugin: the guard watches it by name.
    tf.registerKernel({ kernelName: BROKEN, backendName: 'webgpu', kernelFunc: ({ inputs, backend: b }) => (b as unknown as ProgramRunner).runWebGPUProgram(new BrokenProgram([...inputs.x!.shape]), [inputs.x!], 'float32') });
    await backend.init();
    tf.env().set('WEBGPU_CPU_FORWARD', false); // small ops on the GPU too, in the same command buffers as the broken one
  });
  afterAll(async () => {
    if (forward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', forward);
    else tf.env().reset();
    tf.unregisterKernel(BROKEN, 'webgpu');
    await backend.dispose();
  });

  it('a shader that does not compile: its result throws E_BACKEND_KERNEL naming the kernel, with the fix; ops recorded before and after it compute correctly', async () => {
    const tensors = countTensors();
    const x = tf.tensor1d([1, 2, 3, 4]);
    const before = tf.mul(x, 2);
    const broken = runBroken(x);
    const derived = tf.add(broken, 1); // computed from it before the device reported
    const after = tf.add(x, 10);
    expect(Array.from(await before.data())).toEqual([2, 4, 6, 8]);
    expect(Array.from(await after.data())).toEqual([11, 12, 13, 14]);
    const err = await rejection(broken.data());
    expect(err).toBeInstanceOf(FlatsparseError);
    expect(err.code).toBe('E_BACKEND_KERNEL');
    expect(err.message).toMatch(new RegExp(`kernel '${BROKEN}' \\(shader BrokenProgram flatsparse_test_broken\\) failed: its shader does not compile on this device; a read-back \\(tensor\\.data\\(\\)\\) cannot use its result\\. GPU message: .*WGSL`));
    expect(err.fix).toMatch(/another backend .*stays usable/);
    expect((await rejection(derived.data())).message).toMatch(new RegExp(`kernel '${BROKEN}'.*failed`));
    // once the device has reported, an op on its result fails at once
    const atOnce = thrown(() => tf.add(broken, 1));
    expect([atOnce.code, atOnce.message.includes(`kernel 'Add' cannot use its result`)]).toEqual(['E_BACKEND_KERNEL', true]);
    expect(webgpuStatus()).toMatchObject({ active: true, deviceLost: false, failedKernels: 1 });
    tf.dispose([x, before, broken, derived, after]);
    expect(countTensors()).toBe(tensors);
  });

  it('later ops compute correctly, and the broken kernel fails the same way each time it runs (its output buffer from the pool or not)', async () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    for (let i = 0; i < 3; i++) {
      const again = runBroken(a); // after the first, its output buffer comes from tfjs' pool: only its shader opens the error scopes
      const product = tf.matMul(a, a, false, true);
      const total = tf.sum(tf.exp(tf.sub(a, 1)));
      const err = await rejection(again.data());
      expect([err.code, err.message.includes(`kernel '${BROKEN}'`)]).toEqual(['E_BACKEND_KERNEL', true]);
      expect(Array.from(await product.data())).toEqual([14, 32, 32, 77]);
      expect((await total.data())[0]).toBeCloseTo([0, 1, 2, 3, 4, 5].reduce((s, v) => s + Math.exp(v), 0), 2);
      tf.dispose([again, product, total]);
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // any error the device reports late would be thrown below
    const last = tf.mul(a, 3);
    expect(Array.from(await last.data())).toEqual([3, 6, 9, 12, 15, 18]);
    expect(tf.getBackend()).toBe('webgpu');
    expect(webgpuStatus()).toMatchObject({ deviceLost: false, failedKernels: 4 });
    tf.dispose([a, last]);
  });

  it('an op tfjs-backend-webgpu has no kernel for is an E_BACKEND_KERNEL naming it; the backend stays usable', async () => {
    const x = tf.tensor1d([3, 1, 3, 2], 'int32');
    const err = thrown(() => tf.unique(x));
    expect(err.code).toBe('E_BACKEND_KERNEL');
    expect(err.message).toMatch(/no kernel 'Unique'/);
    expect(err.fix).toMatch(/tf\.setBackend\('wasm'\)/);
    const y = tf.add(x, 1);
    expect(Array.from(await y.data())).toEqual([4, 2, 4, 3]);
    tf.dispose([x, y]);
  });

  it('a lost device (device.destroy()) makes the backend unavailable: every later op and read-back fails with E_BACKEND_UNAVAILABLE', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    await tf.add(x, 1).data();
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const atKernel = thrown(() => tf.mul(x, 2));
    expect(atKernel.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(atKernel.message).toMatch(/GPU device was lost \(reason 'destroyed'/);
    expect((await rejection(x.data())).code).toBe('E_BACKEND_UNAVAILABLE');
    expect(webgpuStatus().deviceLost).toBe(true);
    x.dispose();
  });
});
