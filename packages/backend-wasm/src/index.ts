/** @flatsparse/backend-wasm: the embedded default backend. Nothing is registered on import. */
export { wasmBackend, type WasmBackendOptions } from './wasm-backend.js';
