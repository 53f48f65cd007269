import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// For `pnpm --filter flatsparse-plugin-fatrelu test` inside the workspace: the workspace packages
// resolve to their TypeScript sources (the '@flatsparse/source' export condition), so no build is
// needed, as in the root vitest config. A published copy of this package would test against the
// installed @flatsparse/core instead.
const source = '@flatsparse/source';

export default defineConfig({
  ssr: { resolve: { conditions: [source, ...defaultServerConditions], externalConditions: [source] } },
  test: { include: ['test/**/*.test.ts'], pool: 'forks', testTimeout: 60_000, hookTimeout: 60_000 },
});
