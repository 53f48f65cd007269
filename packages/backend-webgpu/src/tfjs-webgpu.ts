import * as tf from '@tensorflow/tfjs-core';
import type { FoundAdapter } from './adapter-probe.js';
import { DeviceGuard } from './device-guard.js';
import type { GpuDevice } from './gpu-types.js';
import { attachGuard, guardWebgpuKernels } from './kernel-guard.js';
import { installKernelOverrides, type WebgpuUtil } from './kernel-overrides.js';
import { existingGpu, installNodeGlobals } from './node-gpu.js';
import { deviceDescriptor } from './requirements.js';

/** tfjs 'webgpu' running on a device this package created. */
export interface ActiveWebgpu {
  readonly device: GpuDevice;
  readonly guard: DeviceGuard;
  /** The tfjs WebGPUBackend instance. */
  readonly backend: object;
  /**
   * Releases the tfjs backend (its buffers), destroys the device, removes Node globals it added, and
   * makes the tfjs backend that was active before start() active again (if there was one).
   */
  stop(): Promise<void>;
}

/**
 * Starts tfjs 'webgpu' on the adapter found: provides navigator.gpu in Node, imports
 * tfjs-backend-webgpu (its import registers the kernels, and a factory of its own that is replaced
 * here), replaces the upstream kernels flatsparse corrects (kernel-overrides.ts), creates the device
 * with the adapter's limits (as tfjs does), registers a factory building the tfjs backend on that
 * device with a DeviceGuard, and makes it the active tfjs backend.
 */
export async function startTfjsWebgpu(found: FoundAdapter, features: readonly string[]): Promise<ActiveWebgpu> {
  const uninstall = found.dawn && existingGpu() !== found.gpu ? installNodeGlobals(found.gpu, found.dawn.globals) : () => undefined;
  let device: GpuDevice | undefined;
  const previous = tf.engine().backendName;
  try {
    const { WebGPUBackend, webgpu_util } = await import('@tensorflow/tfjs-backend-webgpu');
    device = await found.adapter.requestDevice(deviceDescriptor(found.adapter, features));
    const guard = new DeviceGuard(device);
    installKernelOverrides(webgpu_util as unknown as WebgpuUtil);
    guardWebgpuKernels();
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    let instance: object | undefined;
    const dev = device;
    tf.registerBackend(
      'webgpu',
      () => {
        const created = new WebGPUBackend(dev as never, { vendor: found.description.vendor, architecture: found.description.architecture } as never);
        attachGuard(created, guard);
        instance = created;
        return created;
      },
      3,
    );
    if (!(await tf.setBackend('webgpu')) || instance === undefined) throw new Error("tf.setBackend('webgpu') returned false: the tfjs backend could not be created on the device.");
    await tf.ready();
    const backend = instance;
    let stopped = false;
    return {
      device,
      guard,
      backend,
      async stop() {
        if (stopped) return;
        stopped = true;
        guard.close();
        if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
        dev.destroy();
        uninstall();
        if (previous && previous !== 'webgpu' && tf.findBackend(previous) != null) await tf.setBackend(previous);
      },
    };
  } catch (err) {
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    device?.destroy();
    uninstall();
    throw err;
  }
}
