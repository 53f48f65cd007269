import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Fake @tensorflow/tfjs-node(-gpu) packages, written into a temporary node_modules folder, standing in
// for the real ones (which cannot be installed here) in each state the diagnostics tell apart.

const here = dirname(fileURLToPath(import.meta.url));
const TFJS_CORE = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core');
const TFJS_CPU = createRequire(join(here, '..', '..', 'packages', 'backend-wasm', 'package.json')).resolve('@tensorflow/tfjs-backend-cpu');

/** TensorFlow 2.9's log lines for a machine whose CUDA libraries do not match (the silent CPU fallback). */
export const LOG_MISSING_CUDNN = [
  "2026-11-24 12:00:00.000001: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/cuda-12.4/lib64",
  '2026-11-24 12:00:00.000002: W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above are installed properly if you would like to use GPU. Follow the guide at https://www.tensorflow.org/install/gpu for how to download and setup the required libraries for your platform.',
  'Skipping registering GPU devices...',
];

/** TensorFlow 2.9's log lines on a machine without a visible GPU. */
export const LOG_NO_DEVICE = ['2026-11-24 12:00:00.000001: W tensorflow/stream_executor/cuda/cuda_driver.cc:269] failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected'];

/** TensorFlow 2.9's log lines for two GPU devices (tfjs-node computes on the last one). */
export const LOG_TWO_GPUS = [
  '2026-11-24 12:00:01.000001: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 14626 MB memory:  -> device: 0, name: Tesla T4, pci bus id: 0000:00:04.0, compute capability: 7.5',
  '2026-11-24 12:00:01.000002: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:1 with 40000 MB memory:  -> device: 1, name: NVIDIA A100-SXM4-40GB, pci bus id: 0000:00:05.0, compute capability: 8.0',
];

/** TensorFlow 2.9's log line when it created a GPU device. */
export const LOG_GPU = [
  '2026-11-24 12:00:01.000001: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 79078 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0',
];

/**
 * What the fake package's entry does when required. 'works' registers a 'tensorflow' tfjs backend made
 * of the CPU backend's kernels; `gpu` is its device flag ('probe-only': a GPU in the probe's child
 * process only, to exercise the check init() repeats in-process).
 */
export type FakeBehaviour =
  | { readonly kind: 'throws'; readonly message: string; readonly code?: string }
  | { readonly kind: 'requires-binding' }
  | { readonly kind: 'signal' }
  | { readonly kind: 'hangs' }
  | { readonly kind: 'works'; readonly gpu: boolean | 'no-flag' | 'probe-only'; readonly gpuPackage: boolean; readonly log?: readonly string[] };

/** Which files of a real install the fake has. */
export interface FakeLayout {
  readonly name?: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
  readonly version?: string;
  /** The native addon: a placeholder file, a file that is not a shared object, or none. */
  readonly binding?: 'placeholder' | 'garbage' | 'missing';
  /** Whether deps/lib/libtensorflow.so.2 (and .dylib) exist. */
  readonly libtensorflow?: boolean;
}

/** A fake package in a fresh project folder; `root` is what `resolveFrom` takes. */
export interface FakeInstall {
  readonly root: string;
  readonly packageDir: string;
  /** File the entry appends its process id to each time it is required. */
  readonly loadLog: string;
}

/** Writes a fake tfjs-node(-gpu) into `<fresh tmp>/node_modules`. */
export async function fakeTfjsNode(behaviour: FakeBehaviour, layout: FakeLayout = {}): Promise<FakeInstall> {
  const root = await mkdtemp(join(tmpdir(), 'fs-fake-tfjs-node-'));
  const name = layout.name ?? '@tensorflow/tfjs-node-gpu';
  const packageDir = join(root, 'node_modules', ...name.split('/'));
  await mkdir(join(packageDir, 'dist'), { recursive: true });
  await writeFile(join(packageDir, 'package.json'), JSON.stringify({ name, version: layout.version ?? '4.22.0', main: 'dist/index.js' }));
  const binding = layout.binding ?? 'placeholder';
  if (binding !== 'missing') {
    await mkdir(join(packageDir, 'lib', 'napi-v8'), { recursive: true });
    await writeFile(join(packageDir, 'lib', 'napi-v8', 'tfjs_binding.node'), binding === 'garbage' ? 'this is not a shared object\n' : '');
  }
  if (layout.libtensorflow ?? true) {
    await mkdir(join(packageDir, 'deps', 'lib'), { recursive: true });
    for (const f of ['libtensorflow.so.2', 'libtensorflow.2.dylib']) await writeFile(join(packageDir, 'deps', 'lib', f), '');
  }
  const loadLog = join(packageDir, 'loaded-by.txt');
  await writeFile(join(packageDir, 'dist', 'index.js'), `require('fs').appendFileSync(${JSON.stringify(loadLog)}, process.pid + '\\n');\n${entry(behaviour)}`);
  return { root, packageDir, loadLog };
}

/** The process ids that required a fake package so far (probe children, or this process). */
export function loadedBy(fake: FakeInstall): number[] {
  return existsSync(fake.loadLog) ? readFileSync(fake.loadLog, 'utf8').trim().split('\n').map(Number) : [];
}

function entry(b: FakeBehaviour): string {
  switch (b.kind) {
    case 'throws':
      return `throw Object.assign(new Error(${JSON.stringify(b.message)}), { code: ${JSON.stringify(b.code ?? 'ERR_DLOPEN_FAILED')} });\n`;
    case 'requires-binding':
      return "module.exports = require(require('path').join(__dirname, '..', 'lib', 'napi-v8', 'tfjs_binding.node'));\n";
    case 'signal':
      return "process.kill(process.pid, 'SIGTERM');\nsetTimeout(() => undefined, 10000);\n";
    case 'hangs':
      return 'const end = Date.now() + 60000;\nwhile (Date.now() < end) {}\n';
    case 'works':
      return `
const tf = require(${JSON.stringify(TFJS_CORE)});
const cpu = require(${JSON.stringify(TFJS_CPU)});
if (!tf.findBackendFactory('tensorflow')) {
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
  tf.registerBackend('tensorflow', () => {
    const b = new cpu.MathBackendCPU();
    ${b.gpu === 'no-flag' ? '' : `b.isUsingGpuDevice = ${b.gpu === 'probe-only' ? 'process.env.FLATSPARSE_PROBE_PACKAGE !== undefined' : b.gpu};`}
    b.isGPUPackage = ${b.gpuPackage};
    b.binding = { TF_Version: '2.9.1' };
    return b;
  }, 3);
}
process.stderr.write(${JSON.stringify((b.log ?? []).map((l) => `${l}\n`).join(''))});
tf.setBackend('tensorflow');
module.exports = { ...tf, version: { 'tfjs-core': tf.version_core, 'tfjs-node': '4.22.0' } };
`;
  }
}
