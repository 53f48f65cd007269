import { describe, expect, it } from 'vitest';
import { loadFailureFix, neededLibraries } from './load-failure.js';
import { librarySource } from './requirements.js';
import { lastLines, librariesInMessage, parseTensorflowLog } from './tensorflow-log.js';

// TensorFlow 2.9's log lines as its C++ code writes them (gpu_device.cc, dso_loader.cc, cuda_driver.cc).
const LOG = [
  "2026-11-24 12:00:00.1: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/lib",
  "2026-11-24 12:00:00.2: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory",
  "2026-11-24 12:00:00.3: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudart.so.11.0'; dlerror: again",
  '2026-11-24 12:00:00.4: W tensorflow/stream_executor/cuda/cuda_driver.cc:269] failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected',
  '2026-11-24 12:00:01.0: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 14626 MB memory:  -> device: 0, name: Tesla T4, pci bus id: 0000:00:04.0, compute capability: 7.5',
  '2026-11-24 12:00:01.1: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:1 with 40000 MB memory:  -> device: 1, name: NVIDIA A100-SXM4-40GB, pci bus id: 0000:00:05.0, compute capability: 8.0',
].join('\n');

describe('parseTensorflowLog', () => {
  it('reads the GPU devices, the libraries it could not open (once each) and the driver error', () => {
    const log = parseTensorflowLog(LOG);
    expect(log.gpus).toEqual([
      { index: 0, name: 'Tesla T4', memoryMb: 14626, computeCapability: '7.5' },
      { index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryMb: 40000, computeCapability: '8.0' },
    ]);
    expect(log.missing).toEqual([
      { library: 'libcudart.so.11.0', error: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' },
      { library: 'libcudnn.so.8', error: 'libcudnn.so.8: cannot open shared object file: No such file or directory' },
    ]);
    expect(log.cuInitError).toBe('CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected');
  });

  it('finds nothing in an unrelated log', () => {
    expect(parseTensorflowLog('hello\nworld')).toEqual({ gpus: [], missing: [] });
  });
});

describe('library names in loader messages', () => {
  it.each([
    ['libcudart.so.11.0: cannot open shared object file', ['libcudart.so.11.0'], /CUDA 11\.2 toolkit/],
    ['libcudnn_ops_infer.so.8: cannot open shared object file', ['libcudnn_ops_infer.so.8'], /cuDNN 8\.1/],
    ['libtensorflow.so.2: cannot open shared object file', ['libtensorflow.so.2'], /libtensorflow 2\.9\.1/],
    ['libcuda.so.1: cannot open shared object file', ['libcuda.so.1'], /NVIDIA driver/],
    ["The specified module could not be found. cudart64_110.dll", ['cudart64_110.dll'], /CUDA 11\.2 toolkit/],
  ])('%s', (message, names, source) => {
    expect(librariesInMessage(message)).toEqual(names);
    expect(librarySource(names[0]!)).toMatch(source);
  });

  it('names each library once and says nothing when there is none', () => {
    expect(librariesInMessage('libcublas.so.11 and libcublasLt.so.11, libcublas.so.11')).toEqual(['libcublas.so.11', 'libcublasLt.so.11']);
    expect(neededLibraries([])).toBe('');
    expect(neededLibraries(['libcudnn.so.8'])).toBe(' It needs libcudnn.so.8 (from cuDNN 8.1).');
  });
});

describe('loadFailureFix', () => {
  it.each([
    ['libtensorflow.so.2: cannot open shared object file', /libtensorflow is missing or damaged.*TFJS_NODE_CDN_STORAGE/],
    ['libcublasLt.so.11: cannot open shared object file', /install the CUDA 11\.2 runtime and cuDNN 8\.1.*LD_LIBRARY_PATH/],
    ['/x/tfjs_binding.node: invalid ELF header', /damaged or was built for another platform/],
    ["/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.29' not found", /newer C\/C\+\+ runtime/],
    ['something else entirely', /^reinstall the package/],
  ])('%s', (message, fix) => {
    expect(loadFailureFix('cuda', message)).toMatch(fix);
  });

  it('keeps the last lines of a log', () => {
    expect(lastLines('a\n\n b \nc\nd\n', 2)).toBe('c | d');
  });
});
