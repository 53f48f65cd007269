import { type Availability, type Backend, type BackendInfo, BackendInitError } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TensorflowBackendOptions } from './backend-options.js';
import { diagnoseTensorflow, type TensorflowDiagnosis } from './diagnose.js';
import { loadFailureFix, noGpuFix } from './load-failure.js';
import { CUDA_VERSION, CUDNN_VERSION, installCommand, LIBTENSORFLOW_VERSION, TENSORFLOW_PACKAGES, type TensorflowBackendName } from './requirements.js';

/** Settings of one adapter, after the factory applied its defaults. */
export interface AdapterSettings extends TensorflowBackendOptions {
  readonly priority: number;
  readonly allowCpuFallback: boolean;
}

/** What tfjs-node's backend object (NodeJSKernelBackend) exposes that the adapter reads. */
interface NodeBackendLike {
  readonly isUsingGpuDevice?: unknown;
  readonly isGPUPackage?: unknown;
}

/** The Availability a diagnosis amounts to; a 'no-gpu' diagnosis is available only when the CPU is allowed. */
export function toAvailability(d: TensorflowDiagnosis, allowCpuFallback: boolean): Availability {
  if (d.kind === 'ready') return { available: true, detail: d.summary };
  if (d.kind === 'no-gpu' && allowCpuFallback) return { available: true, detail: `CPU FALLBACK (allowCpuFallback): ${d.summary}` };
  return { available: false, reason: d.summary, fix: d.fix ?? `run flatsparse doctor; install: ${installCommand(d.backend)}` };
}

/**
 * The descriptor shared by 'cuda' (tfjs-node-gpu) and 'tensorflow-cpu' (tfjs-node): `isAvailable()`
 * diagnoses in a child process (cached once a probe ran), `init()` requires the package into this
 * process, switches tfjs to 'tensorflow' and checks the device it landed on.
 */
export function tensorflowAdapter(backend: TensorflowBackendName, settings: AdapterSettings): Backend {
  const packageName = TENSORFLOW_PACKAGES[backend];
  const capabilities = { float16: false, exactSecondOrder: false, gpu: backend === 'cuda' };
  let probed: TensorflowDiagnosis | undefined;
  const diagnose = async (): Promise<TensorflowDiagnosis> => {
    if (probed) return probed;
    const d = await diagnoseTensorflow(backend, settings);
    if (d.probeMs !== undefined) probed = d;
    return d;
  };
  return {
    name: backend,
    tfjsName: 'tensorflow',
    priority: settings.priority,
    capabilities,
    install: `${installCommand(backend)} (${backend === 'cuda' ? `needs CUDA ${CUDA_VERSION} and cuDNN ${CUDNN_VERSION}; ` : ''}downloads libtensorflow ${LIBTENSORFLOW_VERSION} at install time; see flatsparse doctor)`,
    async isAvailable(): Promise<Availability> {
      return toAvailability(await diagnose(), settings.allowCpuFallback);
    },
    async init(): Promise<BackendInfo> {
      const d = await diagnose();
      const usable = d.kind === 'ready' || (d.kind === 'no-gpu' && settings.allowCpuFallback);
      if (!usable || d.packageDir === undefined) throw new BackendInitError(backend, new Error(d.summary), d.fix ?? 'run flatsparse doctor.');
      const previous = (tf.engine().backendName as string | null) ?? null;
      try {
        createRequire(join(d.packageDir, 'package.json'))(d.packageDir);
      } catch (err) {
        throw new BackendInitError(backend, err, loadFailureFix(backend, err instanceof Error ? err.message : String(err)));
      }
      const fail = async (what: string, fix: string): Promise<never> => {
        if (previous !== null && previous !== 'tensorflow') await tf.setBackend(previous).catch(() => false);
        throw new BackendInitError(backend, new Error(what), fix);
      };
      if (!(await tf.setBackend('tensorflow'))) await fail(`${packageName} loaded, but tf.setBackend('tensorflow') failed (see the warning tfjs printed).`, loadFailureFix(backend, ''));
      await tf.ready();
      const active = tf.backend() as unknown as NodeBackendLike;
      if (typeof active.isGPUPackage === 'boolean' && active.isGPUPackage !== (backend === 'cuda')) {
        const other = active.isGPUPackage ? TENSORFLOW_PACKAGES.cuda : TENSORFLOW_PACKAGES['tensorflow-cpu'];
        await fail(`the tfjs backend 'tensorflow' in this process comes from ${other}, loaded before ${packageName}; one process holds only one of them.`, "use one TensorFlow backend per process ('cuda' or 'tensorflow-cpu').");
      }
      const onGpu = active.isUsingGpuDevice === true || (active.isUsingGpuDevice === undefined && d.gpus.length > 0);
      if (backend === 'cuda' && !onGpu && !settings.allowCpuFallback) {
        await fail(`${packageName} loaded, but TensorFlow placed it on the CPU (no GPU device): a run on 'cuda' would silently compute on the CPU.`, noGpuFix([], undefined));
      }
      return describeActive(backend, d, onGpu);
    },
    async dispose(): Promise<void> {
      // The native library cannot be unloaded and tfjs-node registers its backend only when it is first
      // required, so the engine keeps the 'tensorflow' instance for the next run in this process; the
      // memory it holds is what live tensors hold, and runs check those are back at their baseline.
    },
  };
}

function describeActive(backend: TensorflowBackendName, d: TensorflowDiagnosis, onGpu: boolean): BackendInfo {
  const gpu = onGpu ? d.gpus[d.gpus.length - 1] : undefined;
  const pkg = `${d.packageName} ${d.packageVersion ?? ''}`.trim();
  const where = onGpu ? (gpu ? `GPU ${gpu.name} (compute capability ${gpu.computeCapability})` : 'a GPU') : 'the CPU';
  return {
    name: backend,
    tfjsName: 'tensorflow',
    detail: `${pkg}, libtensorflow ${d.tensorflowVersion ?? LIBTENSORFLOW_VERSION}, on ${where}`,
    capabilities: { float16: false, exactSecondOrder: false, gpu: onGpu },
    ...(backend === 'cuda' && !onGpu ? { fallback: `TensorFlow sees no GPU device; computing on the CPU because allowCpuFallback is set. ${d.summary}` } : {}),
    facts: {
      package: d.packageName,
      packageVersion: d.packageVersion ?? 'unknown',
      libtensorflow: d.tensorflowVersion ?? 'unknown',
      onGpu,
      ...(gpu ? { gpuName: gpu.name, computeCapability: gpu.computeCapability, gpuMemoryMb: gpu.memoryMb } : {}),
      ...(d.probeMs !== undefined ? { probeMs: d.probeMs } : {}),
    },
  };
}
