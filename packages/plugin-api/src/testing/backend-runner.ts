import * as tf from '@tensorflow/tfjs-core';
import { type Backend, safeAvailability } from '../backend.js';
import { BackendInitError, BackendUnavailableError } from '../errors.js';
import { Rng } from '../random.js';
import { countTensors } from '../tensor-leaks.js';
import { backendConformanceCases } from './backend-cases.js';
import { GRADIENTS_FIX } from './cases-setup.js';
import type { BackendConformanceOptions, CaseReport, ConformanceCase, ConformanceReport } from './types.js';

/** Seed of a case's own random stream: the suite seed mixed with the case name (FNV-1a), so filtering never changes inputs. */
export function caseSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * Runs one case on the active backend inside an engine scope: errors become a failed row (with a fix
 * where one is known), tensors left allocated count as `leaked` and fail the case, and the scope then
 * releases them so that one leaky case does not disturb the next.
 */
export async function runConformanceCase(c: ConformanceCase, seed = 1): Promise<CaseReport> {
  const base = { name: c.name, group: c.group };
  const before = countTensors();
  tf.engine().startScope();
  let leaked = 0;
  try {
    const r = await c.run(new Rng(caseSeed(seed, c.name)));
    leaked = Math.max(0, countTensors() - before);
    const passed = r.passed && leaked === 0;
    const leak = leaked > 0 ? `leaked ${leaked} tensor(s)` : undefined;
    return { ...base, passed, maxAbsError: r.maxAbsError, tolerance: r.tolerance, leaked, detail: [r.detail, leak].filter(Boolean).join('; ') || undefined };
  } catch (err) {
    leaked = Math.max(0, countTensors() - before);
    return { ...base, passed: false, maxAbsError: Infinity, tolerance: 0, leaked, error: describeFailure(err) };
  } finally {
    tf.engine().endScope();
  }
}

/** The message of a case failure, with the fix for known causes. */
function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/gradient function not found/i.test(message)) return `${message} Fix: ${GRADIENTS_FIX}`;
  if (/kernel '.*' not registered/i.test(message)) return `${message} Fix: the backend lacks this kernel; add it to the backend or list the case as excluded with the reason.`;
  return message;
}

/**
 * Runs the backend suite: checks availability (E_BACKEND_UNAVAILABLE with the fix if not), initialises
 * the backend and runs `setup` (E_BACKEND_INIT if either fails), runs every case (or those passing `filter`), checks each
 * for leaks, disposes the backend and returns one row per case.
 */
export async function runBackendConformance(backend: Backend, options: BackendConformanceOptions = {}): Promise<ConformanceReport> {
  const availability = await safeAvailability(backend);
  if (!availability.available) throw new BackendUnavailableError(backend.name, availability.reason, `${availability.fix} (install: ${backend.install})`, [backend.name], []);
  let info;
  try {
    info = await backend.init();
    await options.setup?.();
  } catch (err) {
    throw new BackendInitError(backend.name, err, `check the backend's install (${backend.install}).`);
  }
  try {
    const cases = backendConformanceCases(options.extraCases).filter((c) => options.filter?.(c.name) ?? true);
    const results: CaseReport[] = [];
    for (const c of cases) results.push(await runConformanceCase(c, options.seed ?? 1));
    return { backend: info, results, passed: results.every((r) => r.passed) };
  } finally {
    await backend.dispose();
  }
}
