import { FlatsparseError } from '@flatsparse/plugin-api';
import type { GpuDevice, GpuDeviceLostInfo, GpuLimits } from './gpu-types.js';

/** The shape and dtype of a tensor as a kernel sees it. */
export interface KernelTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
}

const LOST_FIX =
  "a lost device cannot be recovered: dispose the run and start a new one (resume from the last checkpoint with --resume). Reason 'unknown' usually means the driver reset the GPU (a kernel ran too long, or memory ran out): use a smaller batch or model, or the wasm backend.";
const LIMIT_FIX = 'use a smaller batch, sequence or model width so every tensor fits, a GPU with larger limits, or the wasm backend (no such limit).';

/** An error of the WebGPU device, with the stable code of an unusable backend and the fix. */
export function webgpuError(what: string, fix: string, cause?: unknown): FlatsparseError {
  return new FlatsparseError('E_BACKEND_UNAVAILABLE', `Backend 'webgpu': ${what}`, { fix, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Watches one GPUDevice for tfjs-backend-webgpu: a lost device, a GPU error (validation, out of
 * memory) and tensors over the binding-size limit become errors naming the kernel, thrown at the next
 * kernel or read-back instead of silently wrong numbers. Counts kernels and synchronous read-backs.
 */
export class DeviceGuard {
  private lost: { info: GpuDeviceLostInfo; after: string } | undefined;
  private gpuError: { message: string; after: string } | undefined;
  private closing = false;
  private limitRaised = false;
  /** The last kernel that ran (tfjs kernel name, for example 'MatMul'). */
  lastKernel = '(none yet)';
  /** Kernels run since the device was created. */
  kernels = 0;
  /** Synchronous read-backs from the GPU (dataSync/arraySync of data not cached on the CPU) since the device was created. */
  syncReads = 0;

  constructor(device: GpuDevice, readonly limits: GpuLimits = device.limits) {
    void device.lost.then((info) => {
      if (!this.closing) this.lost = { info, after: this.lastKernel };
    });
    device.addEventListener('uncapturederror', (event) => {
      const message = event.error?.message ?? 'unknown GPU error';
      if (this.limitRaised && /exceeds the max/i.test(message)) return; // already reported by checkSizes
      this.gpuError ??= { message: message.trim(), after: this.lastKernel };
    });
  }

  /** Before a kernel: throws if the device is lost or reported an error, or an input is over the limit. */
  beforeKernel(kernel: string, inputs: readonly (KernelTensor | undefined)[]): void {
    this.throwIfBroken(`kernel '${kernel}'`);
    this.checkSizes(kernel, inputs, 'input');
    this.lastKernel = kernel;
    this.kernels += 1;
  }

  /** After a kernel: throws if an output is over the binding-size limit. */
  afterKernel(kernel: string, outputs: readonly (KernelTensor | undefined)[]): void {
    this.checkSizes(kernel, outputs, 'output');
  }

  /** Throws the pending device error, if any; `at` says what was about to run ("kernel 'Add'", 'a read-back'). */
  throwIfBroken(at: string): void {
    if (this.lost) {
      const { info, after } = this.lost;
      throw webgpuError(`the GPU device was lost (reason '${info.reason}': ${info.message.trim() || 'no message'}) after kernel '${after}' (kernel ${this.kernels} since the device was created); ${at} cannot run.`, LOST_FIX);
    }
    if (this.gpuError) {
      const { message, after } = this.gpuError;
      throw webgpuError(`the GPU reported an error at or before kernel '${after}' (kernel ${this.kernels}); ${at} cannot run on its results: ${message}`, 'an out-of-memory error needs a smaller batch or model; a validation error is a bug in tfjs-backend-webgpu or flatsparse: report it with this message.');
    }
  }

  /** Turns an error thrown while reading back into the device error when the device is the cause. */
  explain(err: unknown, at: string): unknown {
    try {
      this.throwIfBroken(at);
    } catch (deviceError) {
      return deviceError;
    }
    return err;
  }

  /** Marks an intended destroy (dispose), so the 'destroyed' loss that follows is not an error. */
  close(): void {
    this.closing = true;
  }

  private checkSizes(kernel: string, tensors: readonly (KernelTensor | undefined)[], role: 'input' | 'output'): void {
    const max = this.limits.maxStorageBufferBindingSize;
    if (typeof max !== 'number') return;
    for (const t of tensors) {
      if (!t || !Array.isArray(t.shape)) continue;
      const bytes = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'complex64' ? 8 : 4);
      if (bytes > max) {
        this.limitRaised = true;
        throw webgpuError(
          `kernel '${kernel}' has an ${role} of shape [${t.shape.join(', ')}] (${t.dtype}, ${bytes} bytes), over this device's maxStorageBufferBindingSize of ${max} bytes; WebGPU would compute garbage from it.`,
          LIMIT_FIX,
        );
      }
    }
  }
}
