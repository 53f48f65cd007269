/** @flatsparse/backend-webgpu. Nothing is registered on import. */
export { webgpuBackend, type WebgpuBackendOptions } from './webgpu-backend.js';
