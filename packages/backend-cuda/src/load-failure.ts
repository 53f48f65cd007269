import {
  ALLOW_CPU_FALLBACK_HINT,
  CUDA_VERSION,
  CUDNN_VERSION,
  downloadNote,
  installCommand,
  librarySource,
  TENSORFLOW_PACKAGES,
  WEBGPU_ALTERNATIVE,
  type TensorflowBackendName,
} from './requirements.js';
import { librariesInMessage, type MissingLibrary } from './tensorflow-log.js';

/** " It needs libcudart.so.11.0 (from the CUDA 11.2 toolkit)." for the libraries a message names; '' if none. */
export function neededLibraries(libraries: readonly string[]): string {
  const named = libraries.map((lib) => `${lib} (from ${librarySource(lib) ?? 'an unknown source'})`);
  return named.length ? ` It needs ${named.join(', ')}.` : '';
}

/** How to fix a native binding that failed to load, from the loader's message. */
export function loadFailureFix(backend: TensorflowBackendName, message: string): string {
  const pkg = TENSORFLOW_PACKAGES[backend];
  const libraries = librariesInMessage(message);
  if (libraries.some((l) => /tensorflow/i.test(l))) {
    return `libtensorflow is missing or damaged: reinstall the package (pnpm remove ${pkg}; ${installCommand(backend)}); ${downloadNote(backend)}.`;
  }
  if (libraries.some((l) => /cud|cublas|cufft|curand|cusolver|cusparse/i.test(l))) {
    return `${cudaLibrariesFix()}; ${WEBGPU_ALTERNATIVE}.`;
  }
  if (/invalid ELF header|wrong ELF class|file too short|not a valid Win32|mach-o/i.test(message)) {
    return `the native addon is damaged or was built for another platform: reinstall the package (pnpm remove ${pkg}; ${installCommand(backend)}) or rebuild it from source (npm rebuild ${pkg} --build-addon-from-source; needs python3, make and a C++ compiler).`;
  }
  if (/GLIBC|GLIBCXX|CXXABI/.test(message)) {
    return `the prebuilt libtensorflow needs a newer C/C++ runtime than this system has: use a newer Linux (for example Ubuntu 20.04 or later)${backend === 'cuda' ? `, or ${WEBGPU_ALTERNATIVE}` : ''}.`;
  }
  return `reinstall the package (pnpm remove ${pkg}; ${installCommand(backend)}); ${downloadNote(backend)}. If it keeps failing, report the message above to tfjs with your OS, Node and CUDA versions.`;
}

/** How to make the CUDA 11.2 and cuDNN 8.1 libraries visible to the loader. */
export function cudaLibrariesFix(): string {
  return (
    `install the CUDA ${CUDA_VERSION} runtime and cuDNN ${CUDNN_VERSION} (a newer CUDA does not provide libcudart.so.11.0: install 11.2 side by side) ` +
    `and make them visible to the loader, for example export LD_LIBRARY_PATH=/usr/local/cuda-${CUDA_VERSION}/lib64:/usr/local/cudnn-${CUDNN_VERSION}/lib:$LD_LIBRARY_PATH ` +
    "(check with ldconfig -p | grep -E 'libcudart|libcudnn' and nvidia-smi)"
  );
}

/** Why TensorFlow registered no GPU, from its log; '' when it logged nothing useful. */
export function noGpuCause(missing: readonly MissingLibrary[], cuInitError: string | undefined): string {
  const parts = missing.map((m) => `it could not open ${m.library} (from ${librarySource(m.library) ?? 'an unknown source'}): ${m.error}`);
  if (cuInitError !== undefined) parts.push(`the CUDA driver answered: ${cuInitError}`);
  return parts.join('; ');
}

/** How to fix a GPU package that loads but sees no GPU. */
export function noGpuFix(missing: readonly MissingLibrary[], cuInitError: string | undefined): string {
  const steps: string[] = [];
  if (missing.some((m) => /^(lib)?cuda(\.so|\.dll)/i.test(m.library)) || /NO_DEVICE|INSUFFICIENT_DRIVER|NOT_INITIALIZED/.test(cuInitError ?? '')) {
    steps.push('make the GPU and its driver visible here (nvidia-smi must list it; in a container run it with --gpus all; CUDA_VISIBLE_DEVICES must not be empty or -1)');
  }
  if (missing.some((m) => !/^(lib)?cuda(\.so|\.dll)/i.test(m.library)) || steps.length === 0) steps.push(cudaLibrariesFix());
  return `${steps.join('; ')}; then check with flatsparse doctor. ${capitalise(ALLOW_CPU_FALLBACK_HINT)}; ${WEBGPU_ALTERNATIVE}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
