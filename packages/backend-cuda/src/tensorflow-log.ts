/** A GPU TensorFlow created a device on, as its log names it. */
export interface GpuDevice {
  /** Index in TensorFlow's device list (GPU:<index>). */
  readonly index: number;
  /** Product name, for example 'NVIDIA H100 80GB HBM3'. */
  readonly name: string;
  /** Memory TensorFlow took for the device, in MB. */
  readonly memoryMb: number;
  /** CUDA compute capability, for example '9.0'. */
  readonly computeCapability: string;
}

/** A shared library TensorFlow (or the system loader) could not open, with the loader's words. */
export interface MissingLibrary {
  readonly library: string;
  readonly error: string;
}

/** What TensorFlow's start-up log says about the GPU. */
export interface TensorflowLog {
  /** GPU devices created ('Created device .../device:GPU:0 with ... name: ..., compute capability: ...'). */
  readonly gpus: readonly GpuDevice[];
  /** Libraries it could not open ("Could not load dynamic library 'libcudnn.so.8'; dlerror: ..."). */
  readonly missing: readonly MissingLibrary[];
  /** The CUDA driver's answer when it failed ('failed call to cuInit: CUDA_ERROR_NO_DEVICE: ...'). */
  readonly cuInitError?: string;
}

const GPU_LINE = /Created device \S*GPU:(\d+) with (\d+) MB memory:\s*->\s*device: \d+, name: (.*?), pci bus id: [^,]*, compute capability: ([\d.]+)/g;
const MISSING_LINE = /Could not load dynamic library '([^']+)'; dlerror: ([^;\n]+)/g;
const CU_INIT_LINE = /failed call to cuInit: ([^\n]+)/;

/** Reads the lines of TensorFlow's C++ log (TF_CPP_MIN_LOG_LEVEL=0) that tell where it computes. */
export function parseTensorflowLog(stderr: string): TensorflowLog {
  const gpus = [...stderr.matchAll(GPU_LINE)].map((m) => ({ index: Number(m[1]), memoryMb: Number(m[2]), name: m[3]!.trim(), computeCapability: m[4]! }));
  const missing = new Map<string, string>();
  for (const m of stderr.matchAll(MISSING_LINE)) if (!missing.has(m[1]!)) missing.set(m[1]!, m[2]!.trim());
  const cuInit = CU_INIT_LINE.exec(stderr)?.[1]?.trim();
  return { gpus, missing: [...missing].map(([library, error]) => ({ library, error })), ...(cuInit === undefined ? {} : { cuInitError: cuInit }) };
}

const LIBRARY_NAME = /\b(?:lib(?:cudart|cublasLt|cublas|cufft|curand|cusolver|cusparse|cudnn\w*|cuda|tensorflow_framework|tensorflow)\.(?:so(?:\.\d+)*|\d*\.?dylib)|(?:cudart|cublasLt|cublas|cufft|curand|cusolver|cusparse|cudnn)64_\d+\.dll|nvcuda\.dll|tensorflow\.dll)/g;

/** The CUDA, cuDNN and libtensorflow library names a loader message mentions, in order, once each. */
export function librariesInMessage(message: string): string[] {
  return [...new Set(message.match(LIBRARY_NAME) ?? [])];
}

/** The last `count` non-empty lines of a text, for quoting a log in a message. */
export function lastLines(text: string, count: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-count).join(' | ');
}
