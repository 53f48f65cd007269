import { cudaBackend, diagnoseTensorflow, tensorflowCpuBackend } from '@flatsparse/backend-cuda';
import { ConfigError, type Availability } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeTfjsNode, loadedBy, LOG_GPU, LOG_MISSING_CUDNN, LOG_NO_DEVICE, LOG_TWO_GPUS } from './fake-tfjs-node.js';

// Every diagnostic branch that can be reached without the real binding, each through a fake package
// in a temporary node_modules folder. isAvailable() loads the fake only in its child-process probe.

function unavailable(a: Availability): { reason: string; fix: string } {
  if (a.available) throw new Error(`expected unavailable, got available: ${a.detail}`);
  return a;
}

const MIRRORS = /TFJS_NODE_CDN_STORAGE=.*TFJS_NODE_BASE_URI=/;

describe('cuda: package not installed', () => {
  it('says so without starting a probe, with the install command, the versions, the mirrors and WebGPU', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'fs-no-tfjs-node-'));
    const d = await diagnoseTensorflow('cuda', { resolveFrom: empty });
    expect(d.kind).toBe('not-installed');
    expect(d.probeMs).toBeUndefined();
    const a = unavailable(await cudaBackend({ resolveFrom: empty }).isAvailable());
    expect(a.reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(a.reason).toContain(empty);
    expect(a.fix).toContain('pnpm add @tensorflow/tfjs-node-gpu@4.22.0');
    expect(a.fix).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(a.fix).toMatch(MIRRORS);
    expect(a.fix).toMatch(/WebGPU backend over Vulkan/);
  });

  it('tensorflow-cpu names its own package and no CUDA', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'fs-no-tfjs-node-'));
    const a = unavailable(await tensorflowCpuBackend({ resolveFrom: empty }).isAvailable());
    expect(a.reason).toContain('@tensorflow/tfjs-node is not installed');
    expect(a.fix).toContain('pnpm add @tensorflow/tfjs-node@4.22.0');
    expect(a.fix).not.toMatch(/CUDA/);
    expect(a.fix).toMatch(MIRRORS);
  });
});

describe('cuda: install script did not finish', () => {
  it('a missing native addon is reported as an incomplete install, without a probe', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'never reached' }, { binding: 'missing' });
    const d = await diagnoseTensorflow('cuda', { resolveFrom: fake.root });
    expect(d.kind).toBe('incomplete-install');
    expect(d.probeMs).toBeUndefined();
    expect(d.summary).toMatch(/tfjs_binding\.node\) is missing/);
    expect(d.fix).toContain('pnpm rebuild @tensorflow/tfjs-node-gpu');
    expect(d.fix).toMatch(MIRRORS);
  });

  it.skipIf(process.platform !== 'linux' && process.platform !== 'darwin')('a missing libtensorflow is reported as a failed download', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'never reached' }, { libtensorflow: false });
    const d = await diagnoseTensorflow('cuda', { resolveFrom: fake.root });
    expect(d.kind).toBe('incomplete-install');
    expect(d.summary).toMatch(/libtensorflow 2\.9\.1 is not in deps\/lib: the download at install time failed/);
  });
});

describe('cuda: native binding fails to load', () => {
  it('reports the loader message for a missing libcudart, the versions it needs, and how to fix it', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' });
    const d = await diagnoseTensorflow('cuda', { resolveFrom: fake.root });
    expect(d.kind).toBe('load-failed');
    expect(d.probeMs).toBeGreaterThan(0);
    expect(d.summary).toContain('native binding failed to load: libcudart.so.11.0: cannot open shared object file: No such file or directory. It needs');
    expect(d.summary).toMatch(/It needs libcudart\.so\.11\.0 \(from the CUDA 11\.2 toolkit\)\./);
    expect(d.fix).toMatch(/install the CUDA 11\.2 runtime and cuDNN 8\.1/);
    expect(d.fix).toContain('LD_LIBRARY_PATH');
    expect(d.fix).toMatch(/WebGPU backend over Vulkan/);
  });

  it('names cuDNN 8.1 when libcudnn.so.8 is missing', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'libcudnn.so.8: cannot open shared object file: No such file or directory' });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable());
    expect(a.reason).toMatch(/It needs libcudnn\.so\.8 \(from cuDNN 8\.1\)\./);
  });

  it('a missing libtensorflow at load time points to reinstalling through a mirror', async () => {
    const fake = await fakeTfjsNode({ kind: 'throws', message: 'libtensorflow.so.2: cannot open shared object file: No such file or directory' });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable());
    expect(a.reason).toMatch(/It needs libtensorflow\.so\.2 \(from libtensorflow 2\.9\.1/);
    expect(a.fix).toMatch(/libtensorflow is missing or damaged: reinstall/);
    expect(a.fix).toMatch(MIRRORS);
  });

  it('a binding file that is not a shared object: the real loader message, and a rebuild', async () => {
    const fake = await fakeTfjsNode({ kind: 'requires-binding' }, { binding: 'garbage' });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable());
    expect(a.reason).toMatch(/native binding failed to load: .*tfjs_binding\.node/);
    if (process.platform === 'linux') expect(a.reason).toMatch(/invalid ELF header|file too short/);
    expect(a.fix).toMatch(/damaged or was built for another platform/);
  });

  it('a probe killed by a signal is reported as a crash', async () => {
    const fake = await fakeTfjsNode({ kind: 'signal' });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable());
    expect(a.reason).toMatch(/crashed the probe process \(signal SIGTERM\)/);
  });

  it('a probe that does not finish in time is stopped and reported', async () => {
    const fake = await fakeTfjsNode({ kind: 'hangs' });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root, probeTimeoutMs: 300 }).isAvailable());
    expect(a.reason).toMatch(/did not finish within \d+ s; the probe was stopped/);
    expect(a.fix).toMatch(/raise probeTimeoutMs/);
  });
});

describe('cuda: loaded, but no GPU (the silent CPU fallback)', () => {
  it('refuses, naming the library TensorFlow could not open', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const d = await diagnoseTensorflow('cuda', { resolveFrom: fake.root });
    expect(d.kind).toBe('no-gpu');
    expect(d.summary).toMatch(/sees no GPU device and would silently compute on the CPU: it could not open libcudnn\.so\.8 \(from cuDNN 8\.1\): libcudnn\.so\.8: cannot open shared object file/);
    expect(d.fix).toMatch(/cuDNN 8\.1/);
    expect(d.fix).toContain('allowCpuFallback: true');
    expect(d.fix).toContain('FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK=1');
    expect(unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable()).reason).toBe(d.summary);
  });

  it('reports the driver when no device is visible', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_NO_DEVICE });
    const a = unavailable(await cudaBackend({ resolveFrom: fake.root }).isAvailable());
    expect(a.reason).toContain('the CUDA driver answered: CUDA_ERROR_NO_DEVICE');
    expect(a.fix).toMatch(/nvidia-smi must list it/);
  });

  it('is available only when the CPU is explicitly allowed, and says so', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: true, log: LOG_MISSING_CUDNN });
    const a = await cudaBackend({ resolveFrom: fake.root, allowCpuFallback: true }).isAvailable();
    expect(a.available).toBe(true);
    expect(a.available && a.detail).toMatch(/^CPU FALLBACK \(allowCpuFallback\): .*would silently compute on the CPU/);
  });
});

describe('cuda and tensorflow-cpu: ready', () => {
  it('cuda names the GPU from the binding device flag and the log', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_GPU });
    const d = await diagnoseTensorflow('cuda', { resolveFrom: fake.root });
    expect(d.kind).toBe('ready');
    expect(d.gpus).toEqual([{ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMb: 79078, computeCapability: '9.0' }]);
    expect(d.tensorflowVersion).toBe('2.9.1');
    const a = await cudaBackend({ resolveFrom: fake.root }).isAvailable();
    expect(a.available && a.detail).toMatch(/^ready on GPU NVIDIA H100 80GB HBM3 \(GPU:0, compute capability 9\.0, 79078 MB\); @tensorflow\/tfjs-node-gpu 4\.22\.0, libtensorflow 2\.9\.1\.$/);
  });

  it('with several GPUs, names the last one (the one tfjs-node computes on)', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_TWO_GPUS });
    const a = await cudaBackend({ resolveFrom: fake.root }).isAvailable();
    expect(a.available && a.detail).toMatch(/^ready on GPU NVIDIA A100-SXM4-40GB \(GPU:1, compute capability 8\.0, 40000 MB, the last of 2 GPUs TensorFlow lists \(choose with CUDA_VISIBLE_DEVICES\)\);/);
  });

  it('without the device flag (older bindings) the log decides', async () => {
    const withGpu = await fakeTfjsNode({ kind: 'works', gpu: 'no-flag', gpuPackage: true, log: LOG_GPU });
    expect((await diagnoseTensorflow('cuda', { resolveFrom: withGpu.root })).kind).toBe('ready');
    const without = await fakeTfjsNode({ kind: 'works', gpu: 'no-flag', gpuPackage: true, log: LOG_MISSING_CUDNN });
    expect((await diagnoseTensorflow('cuda', { resolveFrom: without.root })).kind).toBe('no-gpu');
  });

  it('tensorflow-cpu is ready on the CPU, and notes a version other than tfjs-core', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: false }, { name: '@tensorflow/tfjs-node', version: '4.21.0' });
    const a = await tensorflowCpuBackend({ resolveFrom: fake.root }).isAvailable();
    expect(a.available && a.detail).toMatch(/^ready on the CPU \(@tensorflow\/tfjs-node 4\.21\.0, libtensorflow 2\.9\.1; flatsparse is tested with 4\.22\.0/);
  });
});

describe('loading happens in init() only', () => {
  it('importing the package and creating descriptors loads nothing and registers no tfjs backend', async () => {
    const gpu = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_GPU });
    const cpu = await fakeTfjsNode({ kind: 'works', gpu: false, gpuPackage: false }, { name: '@tensorflow/tfjs-node' });
    const descriptors = [cudaBackend({ resolveFrom: gpu.root }), tensorflowCpuBackend({ resolveFrom: cpu.root })];
    expect(descriptors.map((d) => [d.name, d.tfjsName, d.priority])).toEqual([['cuda', 'tensorflow', 40], ['tensorflow-cpu', 'tensorflow', 20]]);
    expect([loadedBy(gpu), loadedBy(cpu)]).toEqual([[], []]);
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
  });

  it('isAvailable() loads it in a child process only, once per descriptor', async () => {
    const fake = await fakeTfjsNode({ kind: 'works', gpu: true, gpuPackage: true, log: LOG_GPU });
    const backend = cudaBackend({ resolveFrom: fake.root });
    await backend.isAvailable();
    await backend.isAvailable();
    expect(loadedBy(fake)).toHaveLength(1);
    expect(loadedBy(fake)).not.toContain(process.pid);
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
  });
});

describe('options are checked when the descriptor is created', () => {
  it.each([
    [{ priority: 'high' }, /cudaBackend\.priority.*must be a finite number/],
    [{ resolveFrom: [] }, /cudaBackend\.resolveFrom.*folder path/],
    [{ probeTimeoutMs: 0 }, /cudaBackend\.probeTimeoutMs.*positive number/],
    [{ allowCpuFallback: 'yes' }, /cudaBackend\.allowCpuFallback.*true or false/],
    [{ allowCPUFallback: true }, /cudaBackend\.allowCPUFallback.*unknown option 'allowCPUFallback'/],
  ])('%j', (options, message) => {
    const err = (() => {
      try {
        cudaBackend(options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('tensorflow-cpu has no allowCpuFallback', () => {
    expect(() => tensorflowCpuBackend({ allowCpuFallback: true } as never)).toThrow(/tensorflowCpuBackend\.allowCpuFallback.*unknown option/);
  });
});
