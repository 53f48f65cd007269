import { writeFileAtomic } from '@flatsparse/core';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiSurface, SURFACE_FILE } from './support/api-surface.js';

// The runtime exports of @flatsparse/core (and /testing) are recorded in packages/core/api-surface.json
// with the CORE_API_VERSION they belong to. `pnpm api:update` (UPDATE_API_SURFACE=1) rewrites the record.
describe('public API of @flatsparse/core', () => {
  it('changes only together with CORE_API_VERSION', async () => {
    const current = await apiSurface();
    if (process.env.UPDATE_API_SURFACE === '1' || !existsSync(SURFACE_FILE)) await writeFileAtomic(SURFACE_FILE, `${JSON.stringify(current, null, 2)}\n`);
    const recorded = JSON.parse(readFileSync(SURFACE_FILE, 'utf8')) as typeof current;
    if (current.version === recorded.version) {
      const message = `the public surface changed but CORE_API_VERSION is still ${current.version}: bump it (packages/core/src/version.ts) and run 'pnpm api:update'`;
      expect(current.core, message).toEqual(recorded.core);
      expect(current.testing, message).toEqual(recorded.testing);
    } else {
      expect(current.version, "CORE_API_VERSION changed: run 'pnpm api:update' to record the new surface").toBe(recorded.version);
    }
  });
});
