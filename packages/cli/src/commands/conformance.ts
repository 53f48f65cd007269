import { BackendRegistry } from '@flatsparse/core';
import { engineConformance } from '@flatsparse/core/testing';
import { runBackendConformance } from '@flatsparse/plugin-api/testing';
import { defaultBackends } from '../backends.js';
import type { Io } from '../io.js';
import { formatTable } from '../table.js';

/**
 * `flatsparse conformance [--backend name]`: runs the backend conformance suite (every op the models
 * and plugins use, forward and gradient, against float64 references) and prints one row per case.
 * Returns 1 when a case fails.
 */
export async function conformanceCommand(io: Io, options: { backend: string; filter?: string; seed?: number }): Promise<number> {
  const registry = new BackendRegistry(defaultBackends());
  const selection = await registry.select(options.backend);
  for (const s of selection.skipped) io.out(`skipped backend '${s.name}': ${s.reason}`);
  const filter = options.filter;
  const report = await runBackendConformance(selection.backend, { ...engineConformance(), seed: options.seed, filter: filter ? (name) => name.includes(filter) : undefined });
  const b = report.backend;
  io.out(`backend: ${b.name} (tfjs '${b.tfjsName}', ${b.detail})${b.fallback ? ` FALLBACK: ${b.fallback}` : ''}`);
  const rows = report.results.map((r) => [r.group, r.name, r.passed ? 'ok' : 'FAIL', r.maxAbsError.toExponential(2), r.tolerance.toExponential(1), String(r.leaked), r.error ?? '']);
  io.out(formatTable(['group', 'case', 'result', 'max error', 'tolerance', 'leaked', 'error'], rows));
  const failed = report.results.filter((r) => !r.passed).length;
  io.out(`\nconformance: ${report.results.length - failed} passed, ${failed} failed`);
  return report.passed ? 0 : 1;
}
