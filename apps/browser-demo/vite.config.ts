import { defineConfig } from 'vite';
import { mnistSubset } from './build/mnist-subset-plugin.js';
import { wasmBinaries } from './build/wasm-binaries-plugin.js';

// The page bundles the workspace packages from their TypeScript sources (the '@flatsparse/source'
// condition), a few hundred MNIST digits packed at build time, and tfjs-backend-wasm's binaries for
// the fallback. `base: './'` lets dist/ be served from any path (or opened through a static server).
export default defineConfig({
  base: './',
  resolve: { conditions: ['@flatsparse/source', 'browser', 'module', 'import', 'default'] },
  plugins: [mnistSubset({ perDigit: 60, heldOutPerDigit: 10 }), wasmBinaries()],
  build: { target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false },
});
