/** @flatsparse/backend-native: the native CPU backend (C++ kernels over the wasm heap, products on OpenBLAS / Accelerate or a built-in GEMM). Nothing is registered on import. */
export { addonPath, blasInfo, describeGemm, INSTALL_OPENBLAS, loadAddon, resetAddonStatus, type AddonStatus, type BlasInfo, type BuildStatus, type NativeAddon } from './addon.js';
export { nativeBackend, type NativeBackendOptions } from './native-backend.js';
export { NATIVE_TFJS_NAME } from './register.js';
