import { FlatsparseError } from '@flatsparse/plugin-api';
import type { GpuDevice, GpuDeviceLostInfo, GpuLimits } from './gpu-types.js';

/** The shape and dtype of a tensor as a kernel sees it (and its data, to follow a failed kernel's results). */
export interface KernelTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly dataId?: object;
}

/** The code of an unusable backend: only a lost device (the backend must be initialised again). */
export const BACKEND_UNAVAILABLE = 'E_BACKEND_UNAVAILABLE';
/** The code of one op that failed on the device (its shader, its memory, a missing kernel): the backend stays usable. */
export const KERNEL_FAILED = 'E_BACKEND_KERNEL';

const LOST_FIX =
  "a lost device cannot be recovered: dispose the run and start a new one (resume from the last checkpoint with --resume). Reason 'unknown' usually means the driver reset the GPU (a kernel ran too long, or memory ran out): use a smaller batch or model, or the wasm backend.";
const LIMIT_FIX = 'use a smaller batch, sequence or model width so every tensor fits, a GPU with larger limits, or the wasm backend (no such limit).';
const SHADER_FIX =
  "compute this op on another backend (tf.setBackend('wasm') around it, or run with --backend wasm), or avoid it; it is a bug of tfjs-backend-webgpu or of this adapter's shader compiler: report it with this message. The webgpu backend stays usable for every other op.";
const MEMORY_FIX = 'the op needs more GPU memory than is free: dispose tensors you no longer need, use a smaller batch or model, or a GPU with more memory. The webgpu backend stays usable for other ops.';
const UNCAPTURED_FIX =
  'results computed since the last read-back may be wrong: check them, or compute again. An out-of-memory error needs a smaller batch or model; a validation error is a bug in tfjs-backend-webgpu or flatsparse: report it with this message. The webgpu backend stays usable.';

/** An error of the WebGPU device that leaves the backend unusable (a lost device) or an operation it cannot do at all. */
export function webgpuError(what: string, fix: string, cause?: unknown): FlatsparseError {
  return new FlatsparseError(BACKEND_UNAVAILABLE, `Backend 'webgpu': ${what}`, { fix, ...(cause === undefined ? {} : { cause }) });
}

/** What the device reported about one kernel. */
export interface KernelFailure {
  /** The tfjs kernel ('DenseBincount'), or the program's name when it ran outside a kernel flatsparse watches. */
  readonly kernel: string;
  /** The shader program (tfjs' class name and shader key), when one failed. */
  readonly program?: string;
  /** 'shader': the shader does not compile; 'validation': WebGPU rejected the kernel's pipeline or commands; 'internal'; 'out-of-memory'. */
  readonly kind: 'shader' | 'validation' | 'internal' | 'out-of-memory';
  readonly message: string;
}

/** An error for one op: the kernel that failed, why, and what cannot run on its result; the backend stays usable. */
export function kernelError(failure: KernelFailure, at?: string): FlatsparseError {
  const what =
    failure.kind === 'shader'
      ? 'its shader does not compile on this device'
      : failure.kind === 'out-of-memory'
        ? 'the GPU ran out of memory for it'
        : failure.kind === 'internal'
          ? 'the GPU driver failed to build or run it (internal error)'
          : 'WebGPU rejected it (validation error)';
  const program = failure.program === undefined ? '' : ` (shader ${failure.program})`;
  const consequence = at === undefined ? '' : `; ${at} cannot use its result`;
  return new FlatsparseError(KERNEL_FAILED, `Backend 'webgpu': kernel '${failure.kernel}'${program} failed: ${what}${consequence}. GPU message: ${firstLines(failure.message)}`, {
    fix: failure.kind === 'out-of-memory' ? MEMORY_FIX : SHADER_FIX,
  });
}

/** An op tfjs-backend-webgpu has no kernel for: an error for that op, the backend stays usable. */
export function missingKernelError(kernel: string): FlatsparseError {
  return new FlatsparseError(KERNEL_FAILED, `Backend 'webgpu': tfjs-backend-webgpu has no kernel '${kernel}', so this op cannot run on WebGPU.`, {
    fix: `compute this op on another backend (tf.setBackend('wasm') or 'cpu' around it, or run with --backend wasm or native). The webgpu backend stays usable for every other op.`,
  });
}

const firstLines = (message: string): string => {
  const lines = message.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const text = lines.slice(0, 4).join(' | ');
  return text.length > 600 ? `${text.slice(0, 597)}...` : text;
};

/** Messages that mean the device itself is gone, whatever reported them. */
const DEVICE_GONE = /device (is |was )?(lost|destroyed)|lost device|\[Device\] is lost/i;

/** The error scopes pushed around a program that compiles a shader or allocates a buffer. */
const SCOPES = ['out-of-memory', 'validation', 'internal'] as const;

/**
 * The GPU errors of one program run (a new shader or a new buffer), which the device reports
 * asynchronously: settled once its error scopes are popped, with the failure if there was one.
 */
export class KernelCheck {
  failure: KernelFailure | undefined;
  settled = false;
  readonly done: Promise<void>;

  constructor(result: Promise<KernelFailure | undefined>) {
    this.done = result.then(
      (failure) => {
        this.failure = failure;
        this.settled = true;
      },
      () => {
        this.settled = true;
      },
    );
  }
}

/** One program running inside tfjs' runWebGPUProgram. */
interface ProgramRun {
  readonly name: string;
  /** Submits the commands recorded so far (tfjs batches kernels into one command buffer). */
  readonly flush: () => void;
  /** Drops a pipeline from tfjs' cache, so that the program compiles again (and is checked again) next time. */
  readonly forget: (pipeline: object) => void;
  scoped: boolean;
  readonly pipelines: object[];
}

/** One kernel running (the checks of its programs become its outputs' checks). */
interface KernelRun {
  readonly kernel: string;
  readonly checks: KernelCheck[];
}

/**
 * Watches one GPUDevice for tfjs-backend-webgpu. It tells a lost device from a failed kernel:
 *
 * - a lost device (device.lost resolved, or an error saying the device is gone) makes every later
 *   kernel and read-back throw E_BACKEND_UNAVAILABLE, naming the kernel it was lost after;
 * - a program that compiles a shader or allocates a buffer runs in a command buffer of its own inside
 *   WebGPU error scopes, so a shader that does not compile, a pipeline WebGPU rejects or an
 *   out-of-memory error is charged to that kernel alone: its results (and whatever is computed from
 *   them) throw E_BACKEND_KERNEL when read or used once the device has reported, and every other op
 *   goes on computing correctly;
 * - a GPU error no scope caught is thrown once, at the next kernel or read-back (E_BACKEND_KERNEL);
 * - a tensor over the binding-size limit is refused before (input) or right after (output) its kernel
 *   (E_BACKEND_KERNEL).
 *
 * Counts kernels and synchronous read-backs.
 */
export class DeviceGuard {
  private lost: { info: GpuDeviceLostInfo; after: string } | undefined;
  private uncaptured: { message: string; after: string } | undefined;
  private closing = false;
  private limitRaised = false;
  private readonly kernelsRunning: KernelRun[] = [];
  private readonly programsRunning: ProgramRun[] = [];
  /** Checks not yet settled or failed, by the tfjs data they produced (directly or through other kernels). */
  private readonly pending = new WeakMap<object, KernelCheck[]>();
  /** The last kernel that ran (tfjs kernel name, for example 'MatMul'). */
  lastKernel = '(none yet)';
  /** Kernels run since the device was created. */
  kernels = 0;
  /** Synchronous read-backs from the GPU (dataSync/arraySync of data not cached on the CPU) since the device was created. */
  syncReads = 0;
  /** Kernels that failed on the device (shader, validation, memory) since it was created. */
  failedKernels = 0;

  constructor(
    private readonly device: GpuDevice,
    readonly limits: GpuLimits = device.limits,
  ) {
    void device.lost.then((info) => {
      if (!this.closing) this.lost ??= { info, after: this.lastKernel };
    });
    device.addEventListener('uncapturederror', (event) => {
      const message = event.error?.message ?? 'unknown GPU error';
      if (this.closing) return;
      if (this.limitRaised && /exceeds the max/i.test(message)) return; // already reported by checkSizes
      if (DEVICE_GONE.test(message)) this.markLost(message);
      else this.uncaptured ??= { message: message.trim(), after: this.lastKernel };
    });
    this.watchDevice();
  }

  /** Whether the device is lost (the backend is unusable until initialised again). */
  get isLost(): boolean {
    return this.lost !== undefined;
  }

  /** Before a kernel: throws if the device is lost or reported an error, an input is the result of a failed kernel, or an input is over the limit. */
  beforeKernel(kernel: string, inputs: readonly (KernelTensor | undefined)[]): void {
    this.throwIfBroken(`kernel '${kernel}'`);
    for (const t of inputs) {
      const failed = t?.dataId === undefined ? undefined : this.failureOf(t.dataId);
      if (failed) throw kernelError(failed, `kernel '${kernel}'`);
    }
    this.checkSizes(kernel, inputs, 'input');
    this.lastKernel = kernel;
    this.kernels += 1;
  }

  /** After a kernel: throws if an output is over the binding-size limit. */
  afterKernel(kernel: string, outputs: readonly (KernelTensor | undefined)[]): void {
    this.checkSizes(kernel, outputs, 'output');
  }

  /** Runs a kernel: the checks of the programs it runs, and those of its inputs still pending, follow its outputs. */
  runKernel<T>(kernel: string, inputs: readonly (KernelTensor | undefined)[], run: () => T, outputsOf: (out: T) => readonly (KernelTensor | undefined)[]): T {
    const frame: KernelRun = { kernel, checks: [] };
    this.kernelsRunning.push(frame);
    let out: T;
    try {
      out = run();
    } finally {
      this.kernelsRunning.pop();
    }
    let inherited = frame.checks.length > 0 ? new Set<KernelCheck>(frame.checks) : undefined;
    for (const t of inputs) {
      const checks = t?.dataId === undefined ? undefined : this.pending.get(t.dataId);
      if (checks) for (const c of checks) if (!c.settled || c.failure) (inherited ??= new Set()).add(c);
    }
    if (inherited && inherited.size > 0) for (const t of outputsOf(out)) if (t?.dataId !== undefined) this.follow(t.dataId, inherited);
    return out;
  }

  /**
   * Runs one program of tfjs' runWebGPUProgram. When it compiles a shader or allocates a buffer, the
   * commands recorded before it are submitted first, it runs inside error scopes and its commands are
   * submitted alone, so that what the device reports is charged to it (and a broken pipeline cannot
   * invalidate other kernels' commands).
   */
  runProgram<T extends { dataId?: object } | undefined>(name: string, flush: () => void, forget: (pipeline: object) => void, run: () => T): T {
    const frame: ProgramRun = { name, flush, forget, scoped: false, pipelines: [] };
    this.programsRunning.push(frame);
    let out: T | undefined;
    try {
      out = run();
      return out;
    } finally {
      this.programsRunning.pop();
      if (frame.scoped) this.closeScopes(frame, out?.dataId);
    }
  }

  /** Waits for the checks of the kernels that computed this data; throws the failure of one that failed. */
  async settle(dataId: object, at: string): Promise<void> {
    const checks = this.pending.get(dataId);
    if (!checks) return;
    await Promise.all(checks.map((c) => c.done));
    const failed = this.failureOf(dataId);
    if (failed) throw kernelError(failed, at);
  }

  /** The failure of a kernel this data was computed from, if the device reported one (pending checks are left pending). */
  failureOf(dataId: object): KernelFailure | undefined {
    const checks = this.pending.get(dataId);
    if (!checks) return undefined;
    const failed = checks.find((c) => c.failure)?.failure;
    if (!failed && checks.every((c) => c.settled)) this.pending.delete(dataId);
    return failed;
  }

  /** Throws the pending device error, if any; `at` says what was about to run ("kernel 'Add'", 'a read-back'). */
  throwIfBroken(at: string): void {
    if (this.lost) {
      const { info, after } = this.lost;
      throw webgpuError(`the GPU device was lost (reason '${info.reason}': ${info.message.trim() || 'no message'}) after kernel '${after}' (kernel ${this.kernels} since the device was created); ${at} cannot run.`, LOST_FIX);
    }
    if (this.uncaptured) {
      const { message, after } = this.uncaptured;
      this.uncaptured = undefined; // reported once: the backend stays usable
      throw new FlatsparseError(KERNEL_FAILED, `Backend 'webgpu': the GPU reported an error at or before kernel '${after}' (kernel ${this.kernels}), reported at ${at}: ${firstLines(message)}`, { fix: UNCAPTURED_FIX });
    }
  }

  /** Turns an error thrown while reading back into the device error when the device is the cause. */
  explain(err: unknown, at: string): unknown {
    if (!this.closing && DEVICE_GONE.test(err instanceof Error ? err.message : String(err))) this.markLost(err instanceof Error ? err.message : String(err));
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

  private markLost(message: string): void {
    this.lost ??= { info: { reason: 'unknown', message }, after: this.lastKernel };
  }

  private follow(dataId: object, checks: ReadonlySet<KernelCheck>): void {
    const merged = new Set([...(this.pending.get(dataId) ?? []), ...checks]);
    this.pending.set(dataId, [...merged]);
  }

  /**
   * Wraps the device's shader, pipeline and buffer creation: the first of them inside a program opens
   * its error scopes (a shader's compile error is reported by createShaderModule, before the pipeline).
   */
  private watchDevice(): void {
    const d = this.device as unknown as Record<string, unknown>;
    if (typeof this.device.pushErrorScope !== 'function' || typeof this.device.popErrorScope !== 'function') return;
    for (const method of ['createShaderModule', 'createComputePipeline', 'createBuffer'] as const) {
      const original = d[method];
      if (typeof original !== 'function') continue;
      d[method] = (...args: unknown[]) => {
        this.openScopes();
        const created = (original as (...a: unknown[]) => unknown).apply(this.device, args);
        if (method === 'createComputePipeline' && created !== null && typeof created === 'object') this.programsRunning.at(-1)?.pipelines.push(created);
        return created;
      };
    }
  }

  private openScopes(): void {
    const frame = this.programsRunning.at(-1);
    if (!frame || frame.scoped || this.closing || this.lost) return;
    try {
      frame.flush(); // what other kernels recorded goes in a command buffer of its own
    } catch {
      // a flush that fails (a lost device) leaves the commands to tfjs' next submit
    }
    for (const filter of SCOPES) this.device.pushErrorScope!(filter);
    frame.scoped = true;
  }

  private closeScopes(frame: ProgramRun, output: object | undefined): void {
    try {
      frame.flush(); // this program's commands, alone, inside its scopes
    } catch {
      // as above
    }
    const kernel = this.kernelsRunning.at(-1);
    const popped = [...SCOPES].reverse().map((filter) =>
      this.device.popErrorScope!().then(
        (error) => (error ? { filter, message: error.message ?? String(error) } : undefined),
        () => undefined,
      ),
    );
    const result = Promise.all(popped).then((errors): KernelFailure | undefined => {
      // The cause first: an out-of-memory buffer also makes the bind group using it invalid (validation).
      const error = SCOPES.map((filter) => errors.find((e) => e?.filter === filter)).find((e) => e !== undefined);
      if (!error || this.closing) return undefined;
      this.failedKernels += 1;
      for (const p of frame.pipelines) frame.forget(p);
      const kind = error.filter === 'validation' ? (/WGSL|ShaderModule/.test(error.message) ? 'shader' : 'validation') : error.filter;
      return { kernel: kernel?.kernel ?? frame.name, program: frame.name, kind, message: error.message };
    });
    const check = new KernelCheck(result);
    if (kernel) kernel.checks.push(check);
    else if (output) this.follow(output, new Set([check]));
  }

  private checkSizes(kernel: string, tensors: readonly (KernelTensor | undefined)[], role: 'input' | 'output'): void {
    const max = this.limits.maxStorageBufferBindingSize;
    if (typeof max !== 'number') return;
    for (const t of tensors) {
      if (!t || !Array.isArray(t.shape)) continue;
      const bytes = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'complex64' ? 8 : 4);
      if (bytes > max) {
        this.limitRaised = true;
        throw new FlatsparseError(
          KERNEL_FAILED,
          `Backend 'webgpu': kernel '${kernel}' has an ${role} of shape [${t.shape.join(', ')}] (${t.dtype}, ${bytes} bytes), over this device's maxStorageBufferBindingSize of ${max} bytes; WebGPU would compute garbage from it, so the op is refused (the backend stays usable).`,
          { fix: LIMIT_FIX },
        );
      }
    }
  }
}
