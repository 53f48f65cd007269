import { loadFailureFix, neededLibraries, noGpuCause, noGpuFix } from './load-failure.js';
import { locatePackage, resolutionRoots, type LocatedPackage } from './locate-package.js';
import { probeBinding, type ProbeResult } from './probe-binding.js';
import { CUDA_VERSION, CUDNN_VERSION, downloadNote, installCommand, LIBTENSORFLOW_VERSION, TENSORFLOW_PACKAGES, TFJS_NODE_VERSION, WEBGPU_ALTERNATIVE, type TensorflowBackendName } from './requirements.js';
import { lastLines, librariesInMessage, parseTensorflowLog, type GpuDevice } from './tensorflow-log.js';

/** The states a TensorFlow backend can be in, from "not installed" to "ready". */
export type TensorflowDiagnosisKind = 'not-installed' | 'incomplete-install' | 'load-failed' | 'no-gpu' | 'ready';

/** What `diagnoseTensorflow` found, with a one-sentence summary and, unless ready, the fix. */
export interface TensorflowDiagnosis {
  readonly backend: TensorflowBackendName;
  readonly packageName: string;
  readonly kind: TensorflowDiagnosisKind;
  /** What is the case, in one or two sentences (the reason when not ready, the detail when ready). */
  readonly summary: string;
  /** How to fix it (absent when ready). */
  readonly fix?: string;
  /** Where the package is installed, when it is. */
  readonly packageDir?: string;
  readonly packageVersion?: string;
  /** The GPUs TensorFlow created devices on (empty on the CPU); tfjs-node computes on the last one. */
  readonly gpus: readonly GpuDevice[];
  /** libtensorflow's version as the binding reports it. */
  readonly tensorflowVersion?: string;
  /** Wall time of the child-process probe in ms; absent when no probe was needed (package missing or incomplete). */
  readonly probeMs?: number;
}

/** Options of `diagnoseTensorflow`. */
export interface DiagnoseOptions {
  /** Folders to resolve the package from (default: the current directory, then this package's location). */
  readonly resolveFrom?: string | readonly string[];
  /** How long the child-process probe may take, in ms (default 120000: a first GPU start can be slow). */
  readonly probeTimeoutMs?: number;
}

/**
 * Finds and checks tfjs-node(-gpu) without loading it into this process: resolution and file checks
 * here, then (only if the install looks complete) a child `node` process that loads the package, reads
 * the binding's device placement and TensorFlow's log, and runs one tiny op.
 */
export async function diagnoseTensorflow(backend: TensorflowBackendName, options: DiagnoseOptions = {}): Promise<TensorflowDiagnosis> {
  const packageName = TENSORFLOW_PACKAGES[backend];
  const base = { backend, packageName, gpus: [] as GpuDevice[] };
  const roots = resolutionRoots(options.resolveFrom);
  const located = locatePackage(packageName, roots);
  if (!located) {
    const needs = backend === 'cuda' ? ` (needs an NVIDIA driver, CUDA ${CUDA_VERSION} and cuDNN ${CUDNN_VERSION})` : '';
    const alternative = backend === 'cuda' ? `; ${WEBGPU_ALTERNATIVE}` : '';
    return { ...base, kind: 'not-installed', summary: `${packageName} is not installed (looked from ${roots.join(' and ')}).`, fix: `${installCommand(backend)} in your project${needs}; ${downloadNote(backend)}${alternative}.` };
  }
  const found = { ...base, packageDir: located.dir, packageVersion: located.version };
  const incomplete = incompleteInstall(backend, located);
  if (incomplete) return { ...found, kind: 'incomplete-install', ...incomplete };
  const probe = await probeBinding(located.dir, options.probeTimeoutMs ?? 120_000);
  return { ...found, ...interpretProbe(backend, located, probe), probeMs: Math.round(probe.ms) };
}

function incompleteInstall(backend: TensorflowBackendName, p: LocatedPackage): { summary: string; fix: string } | undefined {
  const pkg = `${TENSORFLOW_PACKAGES[backend]} ${p.version}`;
  const fix = `re-run its install script: pnpm rebuild ${TENSORFLOW_PACKAGES[backend]}; ${downloadNote(backend)}. If the prebuilt addon cannot be fetched either, node-pre-gyp builds it from source (needs python3, make and a C++ compiler).`;
  if (p.bindings.length === 0) return { summary: `${pkg} is installed at ${p.dir}, but its native addon (lib/napi-v*/tfjs_binding.node) is missing: its install script did not run or did not finish.`, fix };
  if (p.libtensorflow === 'missing') return { summary: `${pkg} is installed at ${p.dir} with its native addon, but libtensorflow ${LIBTENSORFLOW_VERSION} is not in deps/lib: the download at install time failed.`, fix };
  return undefined;
}

type Interpretation = Pick<TensorflowDiagnosis, 'kind' | 'summary' | 'fix' | 'gpus' | 'tensorflowVersion'>;

function interpretProbe(backend: TensorflowBackendName, p: LocatedPackage, probe: ProbeResult): Interpretation {
  const pkg = `${TENSORFLOW_PACKAGES[backend]} ${p.version}`;
  const log = parseTensorflowLog(probe.stderr);
  const failed = (summary: string, fix: string): Interpretation => ({ kind: 'load-failed', summary, fix, gpus: [] });
  const answer = probe.answer;
  if (answer === undefined) {
    if (probe.timedOut) {
      return failed(`loading ${pkg} did not finish within ${Math.round(probe.ms / 1000)} s; the probe was stopped.`, 'raise probeTimeoutMs (a first start on a GPU newer than CUDA 11.2 knows compiles kernels from PTX and can take minutes) and check that the GPU responds (nvidia-smi).');
    }
    const how = probe.signal ? `signal ${probe.signal}` : `exit code ${String(probe.exitCode)}`;
    const tail = lastLines(probe.stderr, 3);
    return failed(`loading ${pkg} crashed the probe process (${how})${tail ? `: ${sentence(tail)}` : '.'}${neededLibraries(librariesInMessage(probe.stderr))}`, loadFailureFix(backend, probe.stderr));
  }
  if (!answer.loaded) {
    return failed(`${pkg} is installed, but its native binding failed to load: ${sentence(answer.message)}${neededLibraries(librariesInMessage(answer.message))}`, loadFailureFix(backend, answer.message));
  }
  if (answer.failed !== undefined) return failed(`${pkg} loads, but a tiny op on it failed: ${answer.failed}`, loadFailureFix(backend, answer.failed));
  if (answer.backend !== 'tensorflow') return failed(`${pkg} loads, but the active tfjs backend is '${answer.backend}' instead of 'tensorflow'.`, loadFailureFix(backend, ''));
  if (answer.check !== 14) return failed(`${pkg} loads, but computed 1^2 + 2^2 + 3^2 = ${answer.check} instead of 14.`, loadFailureFix(backend, ''));
  const tensorflowVersion = answer.tensorflow ?? undefined;
  const versions = `${pkg}, libtensorflow ${tensorflowVersion ?? 'unknown'}${p.version === TFJS_NODE_VERSION ? '' : `; flatsparse is tested with ${TFJS_NODE_VERSION}, the version of its tfjs-core`}`;
  const onGpu = answer.gpu ?? log.gpus.length > 0;
  if (backend !== 'cuda') return { kind: 'ready', summary: `ready on the CPU (${versions}).`, gpus: [], tensorflowVersion };
  if (onGpu) {
    // The binding computes on the last GPU in TensorFlow's device list (tfjs_backend.cc keeps the last one).
    const gpu = log.gpus[log.gpus.length - 1];
    const others = log.gpus.length > 1 ? `, the last of ${log.gpus.length} GPUs TensorFlow lists (choose with CUDA_VISIBLE_DEVICES)` : '';
    const where = gpu ? `GPU ${gpu.name} (GPU:${gpu.index}, compute capability ${gpu.computeCapability}, ${gpu.memoryMb} MB${others})` : 'a GPU (TensorFlow logged no device name)';
    return { kind: 'ready', summary: `ready on ${where}; ${versions}.`, gpus: log.gpus, tensorflowVersion };
  }
  const cause = noGpuCause(log.missing, log.cuInitError);
  return {
    kind: 'no-gpu',
    summary: `${pkg} loads, but TensorFlow sees no GPU device and would silently compute on the CPU${cause ? `: ${cause}` : ' (TensorFlow logged no reason)'}.`,
    fix: noGpuFix(log.missing, log.cuInitError),
    gpus: [],
    tensorflowVersion,
  };
}

/** A message as a sentence: trimmed, ending with a full stop. */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
