/** @flatsparse/backend-webgpu. Nothing is registered (and nothing heavy imported) on import. */
export { webgpuBackend } from './webgpu-backend.js';
export type { WebgpuBackendOptions } from './backend-options.js';
export { ALLOW_SOFTWARE_ENV } from './unavailable-reasons.js';
export { SWIFTSHADER_ICDS } from './vulkan-setup.js';
export { webgpuStatus, type WebgpuStatus } from './webgpu-status.js';
