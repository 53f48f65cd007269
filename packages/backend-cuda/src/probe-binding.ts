import { spawn } from 'node:child_process';

/** The marker before the probe's one JSON line on stdout (anything else there is ignored). */
const MARKER = '@@flatsparse-tfjs-node-probe@@';

/**
 * The probe, run as `node -e` in a child process: it requires the package (which loads the native
 * binding and libtensorflow, registers the tfjs backend 'tensorflow' and switches to it, all in the
 * child), asks the backend whether TensorFlow placed it on a GPU device (`isUsingGpuDevice`, which the
 * binding sets from TFE_ContextListDevices), and runs one tiny op to be sure it computes.
 */
const PROBE_SOURCE = `
const report = (o) => process.stdout.write('\\n${MARKER}' + JSON.stringify(o) + '\\n');
const text = (e) => (e && e.message) ? String(e.message) : String(e);
let tf;
try {
  tf = require(process.env.FLATSPARSE_PROBE_PACKAGE);
} catch (e) {
  report({ loaded: false, message: text(e), code: e && e.code ? String(e.code) : undefined });
  process.exit(0);
}
try {
  const b = tf.backend();
  const gpu = typeof b.isUsingGpuDevice === 'boolean' ? b.isUsingGpuDevice
    : (b.binding && typeof b.binding.isUsingGpuDevice === 'function' ? Boolean(b.binding.isUsingGpuDevice()) : null);
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.sum(tf.mul(x, x));
  const value = y.dataSync()[0];
  report({ loaded: true, backend: tf.getBackend(), gpu, gpuPackage: typeof b.isGPUPackage === 'boolean' ? b.isGPUPackage : null,
    tensorflow: b.binding && b.binding.TF_Version ? String(b.binding.TF_Version) : null, check: value });
} catch (e) {
  report({ loaded: true, failed: text(e) });
}
`;

/** What the probe said: the package failed to load, or loaded and answered. */
export type ProbeAnswer =
  | { readonly loaded: false; readonly message: string; readonly code?: string }
  | { readonly loaded: true; readonly failed: string }
  | {
      readonly loaded: true;
      readonly failed?: undefined;
      readonly backend: string;
      readonly gpu: boolean | null;
      readonly gpuPackage: boolean | null;
      readonly tensorflow: string | null;
      readonly check: number;
    };

/** The outcome of one probe: its answer (absent when it crashed or timed out) and TensorFlow's log. */
export interface ProbeResult {
  readonly answer?: ProbeAnswer;
  /** The child's stderr: TensorFlow's own log lines (device creation, libraries it could not open). */
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Wall time of the probe, in milliseconds. */
  readonly ms: number;
}

const MAX_OUTPUT = 1 << 20;

/**
 * Loads the package at `packageDir` in a child Node process and reports what happened. The child
 * isolates the package's side effects (the backend switch) and any crash of the native code; it runs
 * with TF_CPP_MIN_LOG_LEVEL=0 so TensorFlow logs its devices and the libraries it failed to open, and
 * with TF_FORCE_GPU_ALLOW_GROWTH=true so it does not reserve the whole GPU's memory for one tiny op.
 */
export function probeBinding(packageDir: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolveProbe) => {
    const child = spawn(process.execPath, ['-e', PROBE_SOURCE], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'true', FLATSPARSE_PROBE_PACKAGE: packageDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => void (stdout.length < MAX_OUTPUT && (stdout += chunk.toString('utf8'))));
    child.stderr.on('data', (chunk: Buffer) => void (stderr.length < MAX_OUTPUT && (stderr += chunk.toString('utf8'))));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (exitCode: number | null, signal: string | null) => {
      clearTimeout(timer);
      resolveProbe({ answer: parseAnswer(stdout), stderr, exitCode, signal, timedOut, ms: performance.now() - started });
    };
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      finish(null, null);
    });
    child.on('close', finish);
  });
}

function parseAnswer(stdout: string): ProbeAnswer | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line.slice(MARKER.length)) as ProbeAnswer;
  } catch {
    return undefined;
  }
}
