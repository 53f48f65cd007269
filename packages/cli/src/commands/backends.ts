import { BackendRegistry } from '@flatsparse/core';
import { defaultBackends } from '../backends.js';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/** `flatsparse backends`: every known backend, whether it can run here, why not and how to fix it. */
export async function backendsCommand(io: Io): Promise<number> {
  const survey = await new BackendRegistry(defaultBackends()).survey();
  const rows = survey.map(({ backend, availability }) => [
    backend.name,
    backend.tfjsName,
    String(backend.priority),
    availability.available ? 'yes' : 'no',
    availability.available ? availability.detail : availability.reason,
  ]);
  io.out(formatTable(['backend', 'tfjs', 'priority', 'available', 'detail'], rows));
  const chosen = survey.find((s) => s.availability.available);
  io.out(`\n'auto' selects: ${chosen ? chosen.backend.name : 'nothing (no backend is available)'}`);
  if (survey.some((s) => !s.availability.available)) io.out("Run 'flatsparse doctor' for how to make the unavailable backends work.");
  return 0;
}
