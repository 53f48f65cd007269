import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the recorded public surface of @flatsparse/core lives. */
export const SURFACE_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'core', 'api-surface.json');

/** The runtime exports of @flatsparse/core and @flatsparse/core/testing, sorted, with the API version. */
export async function apiSurface(): Promise<{ version: string; core: string[]; testing: string[] }> {
  const core = await import('@flatsparse/core');
  const testing = await import('@flatsparse/core/testing');
  return { version: core.CORE_API_VERSION, core: Object.keys(core).sort(), testing: Object.keys(testing).sort() };
}
