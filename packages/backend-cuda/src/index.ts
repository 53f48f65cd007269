/** @flatsparse/backend-cuda: tfjs-node-gpu ('cuda') and tfjs-node ('tensorflow-cpu'). Nothing is registered or imported on load. */
export { cudaBackend, type CudaBackendOptions } from './cuda-backend.js';
export { tensorflowCpuBackend, type TensorflowCpuBackendOptions } from './tensorflow-cpu-backend.js';
export type { TensorflowBackendOptions } from './backend-options.js';
export { diagnoseTensorflow, type DiagnoseOptions, type TensorflowDiagnosis, type TensorflowDiagnosisKind } from './diagnose.js';
export type { GpuDevice } from './tensorflow-log.js';
export {
  CUDA_VERSION,
  CUDNN_VERSION,
  LIBTENSORFLOW_VERSION,
  MIRROR_VARIABLES,
  TENSORFLOW_PACKAGES,
  TFJS_NODE_VERSION,
  cudaInstallGuide,
  installCommand,
  type TensorflowBackendName,
} from './requirements.js';
