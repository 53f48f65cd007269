import { cudaInstallGuide } from '@flatsparse/backend-cuda';
import { BackendRegistry } from '@flatsparse/core';
import { type Availability, type Backend } from '@flatsparse/plugin-api';
import { defaultBackends } from '../backends.js';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

const STATUS_WIDTH = 110;

/**
 * `flatsparse doctor`: every backend, whether it can run here, why not and how to fix it: a table,
 * then one fix entry per unavailable backend, then the CUDA install guide unless 'cuda' is ready on a
 * GPU. Exit code 0 when some backend is available ('auto' will work), 1 when none is.
 */
export async function doctorCommand(io: Io, backends: readonly Backend[] = defaultBackends()): Promise<number> {
  io.out(`flatsparse doctor: Node ${process.version}, ${process.platform} ${process.arch}; packages resolved from ${process.cwd()}\n`);
  const survey = await new BackendRegistry(backends).survey();
  const rows = survey.map(({ backend, availability: a }) => [
    backend.name,
    backend.tfjsName,
    String(backend.priority),
    a.available ? 'yes' : 'no',
    a.available ? a.detail : firstClause(a.reason),
  ]);
  io.out(formatTable(['backend', 'tfjs', 'priority', 'available', 'status'], rows));
  const chosen = survey.find((s) => s.availability.available);
  io.out(`\n'auto' selects: ${chosen ? chosen.backend.name : 'nothing (no backend is available)'}`);

  const broken = survey.filter((s) => !s.availability.available);
  if (broken.length > 0) {
    io.out('\nHow to fix:');
    for (const { backend, availability } of broken) {
      const a = availability as Extract<Availability, { available: false }>;
      io.out(`- ${backend.name}: ${a.reason}\n  fix: ${a.fix}\n  install: ${backend.install}`);
    }
  }
  const cuda = survey.find((s) => s.backend.name === 'cuda');
  if (cuda && !(cuda.availability.available && !cuda.availability.detail.startsWith('CPU FALLBACK'))) {
    io.out('\nCUDA backend (@tensorflow/tfjs-node-gpu) install guide:');
    for (const line of cudaInstallGuide()) io.out(`  ${line}`);
  }
  return chosen ? 0 : 1;
}

/** The first clause of a reason, cut to fit a table cell (the full text is in the fix section). */
function firstClause(text: string): string {
  const first = (text.split(/(?<=[.;])\s/)[0] ?? text).replace(/;$/, '');
  return first.length <= STATUS_WIDTH ? first : `${first.slice(0, STATUS_WIDTH - 3)}...`;
}
