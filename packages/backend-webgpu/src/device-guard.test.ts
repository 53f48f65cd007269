import { FlatsparseError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { DeviceGuard, KERNEL_FAILED } from './device-guard.js';
import type { GpuDevice, GpuDeviceLostInfo } from './gpu-types.js';

/** A device whose loss and uncaptured errors the test triggers. */
function fakeDevice(limits: Record<string, number> = { maxStorageBufferBindingSize: 1024 }) {
  let lose: (info: GpuDeviceLostInfo) => void = () => undefined;
  const listeners: ((e: { error?: { message?: string } }) => void)[] = [];
  const device: GpuDevice = {
    limits,
    features: new Set(),
    lost: new Promise((resolve) => (lose = resolve)),
    addEventListener: (_type, listener) => void listeners.push(listener),
    destroy: () => lose({ reason: 'destroyed', message: 'device was destroyed' }),
  };
  return { device, lose: (info: GpuDeviceLostInfo) => lose(info), error: (message: string) => listeners.forEach((l) => l({ error: { message } })) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const f32 = (...shape: number[]) => ({ shape, dtype: 'float32' });

function thrown(fn: () => void): FlatsparseError {
  try {
    fn();
  } catch (err) {
    return err as FlatsparseError;
  }
  throw new Error('did not throw');
}

describe('DeviceGuard', () => {
  it('counts kernels and names the last one', () => {
    const g = new DeviceGuard(fakeDevice().device);
    g.beforeKernel('MatMul', [f32(4, 4), f32(4, 4)]);
    g.beforeKernel('Add', [f32(4)]);
    expect([g.kernels, g.lastKernel]).toEqual([2, 'Add']);
  });

  it('a lost device becomes an error naming the kernel it was lost after and the one that cannot run, with the fix', async () => {
    const fx = fakeDevice();
    const g = new DeviceGuard(fx.device);
    g.beforeKernel('Conv2D', []);
    fx.lose({ reason: 'unknown', message: 'GPU hang' });
    await tick();
    const err = thrown(() => g.beforeKernel('Relu', []));
    expect(err).toBeInstanceOf(FlatsparseError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/device was lost \(reason 'unknown': GPU hang\) after kernel 'Conv2D' \(kernel 1 .*kernel 'Relu' cannot run/);
    expect(err.fix).toMatch(/--resume/);
    expect(g.explain(new Error('AbortError'), 'a read-back')).toBeInstanceOf(FlatsparseError);
  });

  it('a loss after close() (dispose destroying the device) is no error', async () => {
    const fx = fakeDevice();
    const g = new DeviceGuard(fx.device);
    g.close();
    fx.device.destroy();
    await tick();
    expect(() => g.beforeKernel('Add', [])).not.toThrow();
    const plain = new Error('x');
    expect(g.explain(plain, 'a read-back')).toBe(plain);
  });

  it('an uncaptured GPU error is raised once, at the next kernel, naming the kernel at or before which it happened; the backend stays usable', () => {
    const fx = fakeDevice();
    const g = new DeviceGuard(fx.device);
    g.beforeKernel('AddN', []);
    fx.error('The number of storage buffers (33) in the Compute stage exceeds the maximum per-stage limit (8).');
    const err = thrown(() => g.beforeKernel('Sqrt', []));
    expect(err.code).toBe(KERNEL_FAILED);
    expect(err.message).toMatch(/at or before kernel 'AddN'.*reported at kernel 'Sqrt'.*storage buffers \(33\)/);
    expect(() => g.beforeKernel('Sqrt', [])).not.toThrow();
    expect(g.isLost).toBe(false);
  });

  it('an uncaptured error or a read-back error saying the device is gone marks it lost (E_BACKEND_UNAVAILABLE)', () => {
    const fx = fakeDevice();
    const g = new DeviceGuard(fx.device);
    g.beforeKernel('Exp', []);
    const err = g.explain(new Error('Device is lost'), 'a read-back') as FlatsparseError;
    expect([err.code, g.isLost]).toEqual(['E_BACKEND_UNAVAILABLE', true]);
    expect(thrown(() => g.beforeKernel('Add', [])).code).toBe('E_BACKEND_UNAVAILABLE');
    const fy = fakeDevice();
    const h = new DeviceGuard(fy.device);
    fy.error('[Device] is lost.');
    expect(thrown(() => h.beforeKernel('Add', [])).code).toBe('E_BACKEND_UNAVAILABLE');
  });

  it('a tensor over maxStorageBufferBindingSize is refused before (input) or right after (output) its kernel, with shape and sizes; only that op', () => {
    const g = new DeviceGuard(fakeDevice({ maxStorageBufferBindingSize: 1024 }).device);
    expect(() => g.beforeKernel('Add', [f32(256)])).not.toThrow(); // exactly 1024 bytes
    const err = thrown(() => g.beforeKernel('Add', [f32(16, 17)]));
    expect(err.code).toBe(KERNEL_FAILED);
    expect(err.message).toMatch(/kernel 'Add' has an input of shape \[16, 17\] \(float32, 1088 bytes\), over this device's maxStorageBufferBindingSize of 1024/);
    expect(thrown(() => g.afterKernel('Tile', [{ shape: [200], dtype: 'complex64' }])).message).toMatch(/output of shape \[200\] \(complex64, 1600 bytes\)/);
    expect(() => g.beforeKernel('Add', [f32(4)])).not.toThrow();
  });
});

/** A device with error scopes, whose pipeline and buffer creation report errors as WebGPU does: to the innermost scope of the error's kind, else uncaptured. */
function scopedDevice() {
  const fx = fakeDevice();
  const scopes: { filter: string; errors: string[] }[] = [];
  const uncaptured: string[] = [];
  const raise = (filter: string, message: string) => {
    const scope = [...scopes].reverse().find((s) => s.filter === filter);
    if (scope) scope.errors.push(message);
    else uncaptured.push(message);
  };
  const device = Object.assign(fx.device, {
    pushErrorScope: (filter: string) => void scopes.push({ filter, errors: [] }),
    popErrorScope: async () => {
      const scope = scopes.pop();
      if (!scope) throw new Error('OperationError: no error scope');
      return scope.errors[0] === undefined ? null : { message: scope.errors[0] };
    },
    createShaderModule: (desc: { code: string }) => {
      if (desc.code.includes('broken')) raise('validation', 'Error while parsing WGSL: :3:9 error: no matching overload\n - While calling [Device].CreateShaderModule');
      return { module: desc.code };
    },
    createComputePipeline: (desc: { code: string }) => {
      if (desc.code.includes('broken')) raise('validation', '[Invalid ShaderModule] is invalid due to a previous error.');
      return { pipeline: desc.code };
    },
    createBuffer: (desc: { size: number }) => {
      if (desc.size > 1000) raise('out-of-memory', 'Out of memory allocating a buffer');
      return { size: desc.size };
    },
  });
  return { ...fx, device, scopes, uncaptured };
}

describe('DeviceGuard: a failed kernel is an error for its op, not for the backend', () => {
  type Created = { createShaderModule(d: { code: string }): object; createComputePipeline(d: { code: string }): object; createBuffer(d: { size: number }): object };
  /** What tfjs' compileProgram does: a shader module, then a pipeline (its compile error comes from the first). */
  const compile = (d: Created, code: string) => (d.createShaderModule({ code }), d.createComputePipeline({ code }));
  const tensor = (shape: number[] = [4]) => ({ shape, dtype: 'float32', dataId: {} });

  /** Runs one kernel of one program, as the kernel guard and runWebGPUProgram do. */
  function run(g: DeviceGuard, kernel: string, inputs: ReturnType<typeof tensor>[], body: () => void) {
    const out = tensor();
    const log = { flushes: 0, forgotten: [] as object[] };
    g.beforeKernel(kernel, inputs);
    g.runKernel(kernel, inputs, () => g.runProgram(`${kernel}Program`, () => void (log.flushes += 1), (p) => void log.forgotten.push(p), () => (body(), out)), (o) => [o]);
    return { out, ...log };
  }

  it('a shader that does not compile: its program is submitted alone, inside error scopes; its result throws E_BACKEND_KERNEL naming the kernel, with the fix', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    const d = fx.device as unknown as Created;
    const broken = run(g, 'Bincount', [], () => compile(d, 'broken'));
    expect(broken.flushes).toBe(2); // what was recorded before it, then its own commands
    expect(fx.scopes).toEqual([]);
    const err = await g.settle(broken.out.dataId, 'a read-back').then(() => undefined, (e: FlatsparseError) => e);
    expect(err).toBeInstanceOf(FlatsparseError);
    expect(err!.code).toBe(KERNEL_FAILED);
    expect(err!.message).toMatch(/kernel 'Bincount' \(shader BincountProgram\) failed: its shader does not compile on this device; a read-back cannot use its result\. GPU message: Error while parsing WGSL/);
    expect(err!.fix).toMatch(/another backend.*stays usable/);
    expect(broken.forgotten).toEqual([{ pipeline: 'broken' }]); // compiled (and checked) again next time
    expect(g.failedKernels).toBe(1);
    // a kernel using its result fails at once, naming it; other kernels run
    expect(thrown(() => g.beforeKernel('Add', [broken.out])).message).toMatch(/kernel 'Bincount' .*failed.*kernel 'Add' cannot use its result/);
    const good = run(g, 'Mul', [tensor()], () => compile(d, 'fine'));
    await expect(g.settle(good.out.dataId, 'a read-back')).resolves.toBeUndefined();
    expect([g.isLost, fx.uncaptured]).toEqual([false, []]);
    expect(() => g.throwIfBroken('a read-back')).not.toThrow();
  });

  it('what is computed from a failed kernel before the device reported fails too, naming that kernel', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    const d = fx.device as unknown as Created;
    const broken = run(g, 'DenseBincount', [], () => compile(d, 'broken'));
    const derived = run(g, 'Add', [broken.out], () => undefined); // cached pipeline, pooled buffers: no scopes
    const further = run(g, 'Exp', [derived.out], () => undefined);
    expect([derived.flushes, further.flushes]).toEqual([0, 0]);
    await expect(g.settle(further.out.dataId, 'a read-back')).rejects.toThrow(/kernel 'DenseBincount'.*failed/);
    const unrelated = run(g, 'Sub', [tensor()], () => undefined);
    await expect(g.settle(unrelated.out.dataId, 'a read-back')).resolves.toBeUndefined();
  });

  it('an out-of-memory error is the error of that op alone, with the memory fix', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    const d = fx.device as unknown as Created;
    // the buffer that ran out of memory also makes the bind group using it invalid: the cause is reported
    const big = run(g, 'MatMul', [], () => (d.createBuffer({ size: 4000 }), d.createComputePipeline({ code: 'broken' })));
    const err = await g.settle(big.out.dataId, 'a read-back').then(() => undefined, (e: FlatsparseError) => e);
    expect(err!.code).toBe(KERNEL_FAILED);
    expect(err!.message).toMatch(/kernel 'MatMul' .*the GPU ran out of memory for it/);
    expect(err!.fix).toMatch(/smaller batch/);
    const small = run(g, 'MatMul', [], () => d.createBuffer({ size: 40 }));
    await expect(g.settle(small.out.dataId, 'a read-back')).resolves.toBeUndefined();
  });

  it('a program that compiles nothing new and allocates nothing is neither flushed nor scoped', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    const plain = run(g, 'Relu', [tensor()], () => undefined);
    expect(plain.flushes).toBe(0);
    expect(g.failureOf(plain.out.dataId)).toBeUndefined();
  });

  it('a program outside a watched kernel (a kernel registered after the backend started) is checked on its own output', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    const out = tensor();
    g.runProgram('CustomProgram custom_key', () => undefined, () => undefined, () => (compile(fx.device as unknown as Created, 'broken'), out));
    await expect(g.settle(out.dataId, 'a read-back')).rejects.toThrow(/kernel 'CustomProgram custom_key' \(shader CustomProgram custom_key\) failed/);
  });

  it('a lost device still makes every later kernel fail with E_BACKEND_UNAVAILABLE, failed kernels or not', async () => {
    const fx = scopedDevice();
    const g = new DeviceGuard(fx.device);
    run(g, 'Bincount', [], () => compile(fx.device as unknown as Created, 'broken'));
    fx.lose({ reason: 'unknown', message: 'GPU hang' });
    await tick();
    expect(thrown(() => g.beforeKernel('Add', [])).code).toBe('E_BACKEND_UNAVAILABLE');
    expect(g.isLost).toBe(true);
  });
});
