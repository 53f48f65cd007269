/** The tfjs-node release flatsparse pairs with (the same version as its @tensorflow/tfjs-core). */
export const TFJS_NODE_VERSION = '4.22.0';

/** The libtensorflow release tfjs-node(-gpu) 4.x downloads at install time and links against. */
export const LIBTENSORFLOW_VERSION = '2.9.1';

/** The CUDA toolkit release libtensorflow 2.9.1 (GPU build) is built against. */
export const CUDA_VERSION = '11.2';

/** The cuDNN release libtensorflow 2.9.1 (GPU build) is built against. */
export const CUDNN_VERSION = '8.1';

/** The npm package behind each flatsparse TensorFlow backend name. */
export const TENSORFLOW_PACKAGES = {
  cuda: '@tensorflow/tfjs-node-gpu',
  'tensorflow-cpu': '@tensorflow/tfjs-node',
} as const;

/** A flatsparse TensorFlow backend name. */
export type TensorflowBackendName = keyof typeof TENSORFLOW_PACKAGES;

/** The environment variables tfjs-node's install script reads to fetch libtensorflow from a mirror. */
export const MIRROR_VARIABLES = ['TFJS_NODE_CDN_STORAGE', 'TFJS_NODE_BASE_URI'] as const;

/** The install command of a TensorFlow backend's package. */
export function installCommand(name: TensorflowBackendName): string {
  return `pnpm add ${TENSORFLOW_PACKAGES[name]}@${TFJS_NODE_VERSION}`;
}

/** One line on the libtensorflow download at install time and the mirror variables that redirect it. */
export function downloadNote(name: TensorflowBackendName): string {
  const flavour = name === 'cuda' ? 'gpu' : 'cpu';
  return (
    `its install script downloads libtensorflow ${LIBTENSORFLOW_VERSION} (libtensorflow-${flavour}-linux-x86_64-${LIBTENSORFLOW_VERSION}.tar.gz) ` +
    'from storage.googleapis.com and fails without it; behind a firewall or when that download fails, point it at a mirror with ' +
    `TFJS_NODE_CDN_STORAGE=https://your-mirror/ (fetches <mirror>/tensorflow/libtensorflow/libtensorflow-${flavour}-...) or ` +
    `TFJS_NODE_BASE_URI=https://your-host/path/libtensorflow- (fetches <base>${flavour}-...); with pnpm 10+ also allow the script ` +
    `(pnpm approve-builds, or onlyBuiltDependencies: ['${TENSORFLOW_PACKAGES[name]}'])`
  );
}

/** The alternative to suggest on NVIDIA machines where the CUDA 11.2 stack is not an option. */
export const WEBGPU_ALTERNATIVE =
  "alternative on NVIDIA machines without CUDA 11.2: the WebGPU backend over Vulkan (pnpm add @flatsparse/backend-webgpu @tensorflow/tfjs-backend-webgpu webgpu; --backend webgpu), which needs only the NVIDIA driver's Vulkan support";

/** How to let 'cuda' run when TensorFlow sees no GPU (the option, and the CLI's environment variable). */
export const ALLOW_CPU_FALLBACK_HINT =
  "or accept the CPU explicitly: cudaBackend({ allowCpuFallback: true }) (CLI: FLATSPARSE_CUDA_ALLOW_CPU_FALLBACK=1), or pick --backend tensorflow-cpu";

/** The shared libraries libtensorflow 2.9.1 (GPU build) opens at start-up, with what provides each. */
const LIBRARY_SOURCES: readonly (readonly [RegExp, string])[] = [
  [/^(lib)?cuda(\.so|\.dll|$)/i, 'the NVIDIA driver: libcuda.so.1 comes with the driver, not with the CUDA toolkit'],
  [/^(lib)?cudnn/i, `cuDNN ${CUDNN_VERSION}`],
  [/^(lib)?(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse)/i, `the CUDA ${CUDA_VERSION} toolkit`],
  [/^(lib)?tensorflow/i, `libtensorflow ${LIBTENSORFLOW_VERSION}, which the package's install script downloads into its deps/lib folder`],
];

/** What provides a shared library named in a loader message (for example 'libcudnn.so.8': cuDNN 8.1). */
export function librarySource(library: string): string | undefined {
  return LIBRARY_SOURCES.find(([pattern]) => pattern.test(library))?.[1];
}

/** The CUDA install guide as lines: versions, install command, download and mirrors, check, alternative. */
export function cudaInstallGuide(): string[] {
  return [
    `1. Needs Linux x86_64 (or Windows x64), an NVIDIA driver >= 450, CUDA ${CUDA_VERSION} and cuDNN ${CUDNN_VERSION}: libtensorflow ${LIBTENSORFLOW_VERSION} loads libcudart.so.11.0, libcublas.so.11 and libcudnn.so.8 by those names, so a newer CUDA (12.x) does not satisfy it; install the 11.2 runtime side by side and put its lib64 folder (and cuDNN's) on LD_LIBRARY_PATH.`,
    `2. Install: ${installCommand('cuda')} in your project (never installed by flatsparse itself). ${capitalise(downloadNote('cuda'))}.`,
    "3. Check: flatsparse doctor (the 'cuda' row says 'ready on GPU <name>' only when TensorFlow lists a GPU device).",
    "4. The trap: with missing or mismatched CUDA libraries tfjs-node-gpu loads anyway and silently computes on the CPU; flatsparse refuses to run 'cuda' then, and says which library was missing.",
    `5. ${capitalise(WEBGPU_ALTERNATIVE)}.`,
  ];
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
