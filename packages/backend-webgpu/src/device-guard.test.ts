import { FlatsparseError } from '@flatsparse/plugin-api';
import { describe, expect, it } from 'vitest';
import { DeviceGuard } from './device-guard.js';
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

  it('an uncaptured GPU error is raised at the next kernel, naming the kernel at or before which it happened', () => {
    const fx = fakeDevice();
    const g = new DeviceGuard(fx.device);
    g.beforeKernel('AddN', []);
    fx.error('The number of storage buffers (33) in the Compute stage exceeds the maximum per-stage limit (8).');
    expect(thrown(() => g.beforeKernel('Sqrt', [])).message).toMatch(/at or before kernel 'AddN'.*kernel 'Sqrt' cannot run.*storage buffers \(33\)/);
  });

  it('a tensor over maxStorageBufferBindingSize is refused before (input) or right after (output) its kernel, with shape and sizes', () => {
    const g = new DeviceGuard(fakeDevice({ maxStorageBufferBindingSize: 1024 }).device);
    expect(() => g.beforeKernel('Add', [f32(256)])).not.toThrow(); // exactly 1024 bytes
    expect(thrown(() => g.beforeKernel('Add', [f32(16, 17)])).message).toMatch(/kernel 'Add' has an input of shape \[16, 17\] \(float32, 1088 bytes\), over this device's maxStorageBufferBindingSize of 1024/);
    expect(thrown(() => g.afterKernel('Tile', [{ shape: [200], dtype: 'complex64' }])).message).toMatch(/output of shape \[200\] \(complex64, 1600 bytes\)/);
  });
});
