import type { Backend, BackendInfo } from '@flatsparse/plugin-api';
import { safeAvailability } from '@flatsparse/plugin-api/host';
import { afterAll, beforeAll } from 'vitest';

/**
 * Initialises a backend for the current test file and tells whether it is usable. When it is not,
 * the reason is printed and callers skip (`describe.skipIf(!state.available)`): a backend that is not
 * available never passes silently.
 */
export async function useBackend(backend: Backend): Promise<{ available: boolean; reason?: string; info: () => BackendInfo }> {
  const availability = await safeAvailability(backend);
  if (!availability.available) {
    console.warn(`[skip] backend '${backend.name}' is not available: ${availability.reason} Fix: ${availability.fix}`);
    return { available: false, reason: availability.reason, info: () => { throw new Error('backend not available'); } };
  }
  let info: BackendInfo | undefined;
  beforeAll(async () => {
    info = await backend.init();
  });
  afterAll(async () => {
    await backend.dispose();
  });
  return { available: true, info: () => info! };
}
