/** @flatsparse/backend-native: the native CPU backend (C++ kernels on OpenBLAS over the wasm heap). Nothing is registered on import. */
export { addonPath, loadAddon, resetAddonStatus, type AddonStatus, type BuildStatus, type NativeAddon } from './addon.js';
export { nativeBackend, type NativeBackendOptions } from './native-backend.js';
export { NATIVE_TFJS_NAME } from './register.js';
