/** @flatsparse/backend-cuda. Nothing is registered or imported on load. */
export { cudaBackend, type CudaBackendOptions } from './cuda-backend.js';
