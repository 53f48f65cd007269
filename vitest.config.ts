import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the '@flatsparse/source' export
// condition, so tests never need a build. One project per kind of suite; each backend gets its own.
const source = '@flatsparse/source';

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions], externalConditions: [source] } },
  test: {
    reporters: ['default', './vitest.summary-reporter.ts'],
    pool: 'forks',
    // The same condition for packages the plugin loader resolves at run time (third-party plugins named
    // in configs, such as examples/plugin-fatrelu): it reads node's --conditions, as Node itself does.
    execArgv: ['--conditions=@flatsparse/source'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      { extends: true, test: { name: 'cross', include: ['test/*.test.ts', 'test/cli/**/*.test.ts'] } },
      { extends: true, test: { name: 'backend-wasm', include: ['test/backend-wasm/**/*.test.ts'] } },
      { extends: true, test: { name: 'backend-native', include: ['test/backend-native/**/*.test.ts'] } },
      { extends: true, test: { name: 'backend-cuda', include: ['test/backend-cuda/**/*.test.ts'] } },
      { extends: true, test: { name: 'backend-webgpu', include: ['test/backend-webgpu/**/*.test.ts', 'test/browser/**/*.test.ts'] } },
      { extends: true, test: { name: 'examples', include: ['examples/*/test/**/*.test.ts'] } },
    ],
  },
});
