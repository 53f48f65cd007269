import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** tfjs-backend-wasm's dist folder, found through @flatsparse/backend-wasm (the app does not depend on it directly). */
function wasmDist(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const req = createRequire(resolve(here, '../../../packages/backend-wasm/package.json'));
  return `${dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist`;
}

/**
 * tfjs-backend-wasm's binaries under wasm/ (the page passes that folder as `wasmPaths`, for the
 * fallback when the browser has no WebGPU): copied into dist/wasm/ by a build, served by the dev server.
 */
export function wasmBinaries(): Plugin {
  return {
    name: 'flatsparse-wasm-binaries',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = FILES.find((f) => req.url?.split('?')[0]?.endsWith(`/wasm/${f}`));
        if (!file) return next();
        res.setHeader('content-type', 'application/wasm');
        res.end(readFileSync(`${wasmDist()}/${file}`));
      });
    },
    generateBundle() {
      for (const file of FILES) this.emitFile({ type: 'asset', fileName: `wasm/${file}`, source: readFileSync(`${wasmDist()}/${file}`) });
    },
  };
}
