import { type Backend, safeAvailability } from '../backend.js';
import { ConformanceError } from '../errors.js';
import type { Plugin } from '../plugin.js';
import { backendConformanceCases } from './backend-cases.js';
import { runConformanceCase } from './backend-runner.js';
import { fmt } from './compare.js';
import { pluginConformanceChecks, runPluginCheck } from './plugin-runner.js';
import type { PluginConformanceOptions } from './plugin-types.js';
import type { BackendConformanceOptions, CaseReport } from './types.js';

import * as vitest from 'vitest';

// '@flatsparse/plugin-api/testing/vitest' is the only entry that imports vitest (an optional peer
// dependency); runBackendConformance and runPluginConformance in '@flatsparse/plugin-api/testing' work without it.
function api(): typeof vitest {
  return vitest;
}

/** Options of the vitest adapter of the backend suite. */
export interface DescribeBackendOptions extends BackendConformanceOptions {
  /** Cases this backend is known to fail, by name, each with the reason (registered as skipped tests that say why). */
  readonly exclude?: Readonly<Record<string, string>>;
}

/** The failure message of a case row. */
export function describeCaseFailure(r: CaseReport): string {
  const parts = [r.error, r.detail, `max |error| ${fmt(r.maxAbsError)}, tolerance ${fmt(r.tolerance)}`, r.leaked > 0 ? `leaked ${r.leaked} tensor(s)` : undefined];
  return parts.filter(Boolean).join('; ');
}

async function availabilityOf(backend: Backend): Promise<string | undefined> {
  const a = await safeAvailability(backend);
  if (a.available) return undefined;
  console.warn(`[skip] backend '${backend.name}' is not available: ${a.reason} Fix: ${a.fix} (install: ${backend.install})`);
  return a.reason;
}

/**
 * Registers the backend suite with vitest: one `it` per case, the backend initialised (and `setup`
 * run) before and disposed after. An unavailable backend prints why (with the fix) and every case is skipped, never
 * passed; excluded cases are registered as skipped with their reason in the name.
 */
export function describeBackendConformance(backend: Backend, options: DescribeBackendOptions = {}): void {
  const { afterAll, beforeAll, describe, it } = api();
  const cases = backendConformanceCases(options.extraCases).filter((c) => options.filter?.(c.name) ?? true);
  describe(`backend conformance: ${backend.name}`, async () => {
    const unavailable = await availabilityOf(backend);
    beforeAll(async () => {
      if (unavailable === undefined) {
        const info = await backend.init();
        if (info.fallback) console.warn(`[conformance] backend '${backend.name}' runs on tfjs '${info.tfjsName}': ${info.fallback}`);
        await options.setup?.();
      }
    });
    afterAll(async () => {
      if (unavailable === undefined) await backend.dispose();
    });
    for (const c of cases) {
      // A case is skipped, with its reason in its title, when it is excluded or the backend is unavailable.
      const excluded = options.exclude?.[c.name];
      const why = excluded !== undefined ? `excluded: ${excluded}` : unavailable !== undefined ? `skipped: ${unavailable}` : undefined;
      it.skipIf(why !== undefined)(`${c.group}: ${c.name}${why === undefined ? '' : ` (${why})`}`, async () => {
        const r = await runConformanceCase(c, options.seed);
        if (!r.passed) throw new ConformanceError(c.name, describeCaseFailure(r));
      });
    }
  });
}

/** Options of the vitest adapter of the plugin suite. */
export interface DescribePluginOptions extends PluginConformanceOptions {
  /** Initialise this backend for the suite (default: use the tfjs backend already active). */
  readonly backend?: Backend;
  /** Runs once before the checks, after the backend's init (pass registerGradients from @flatsparse/core when a contribution differentiates). */
  readonly setup?: () => Promise<void> | void;
}

/**
 * Registers the plugin suite with vitest: one `it` per check (validation, hook order, error
 * attribution, leaks, each contribution). With `backend`, it is initialised first; if it is not
 * available every check is skipped with the printed reason.
 */
export function describePluginConformance(name: string, factory: () => Plugin, options: DescribePluginOptions = {}): void {
  const { afterAll, beforeAll, describe, it } = api();
  describe(`plugin conformance: ${name}`, async () => {
    const backend = options.backend;
    const unavailable = backend ? await availabilityOf(backend) : undefined;
    if (backend && unavailable === undefined) {
      beforeAll(async () => void (await backend.init()));
      afterAll(async () => backend.dispose());
    }
    if (options.setup !== undefined && unavailable === undefined) beforeAll(async () => void (await options.setup?.()));
    let checks: { name: string; run: () => Promise<{ passed: boolean; detail: string }> }[];
    try {
      checks = pluginConformanceChecks(factory, options);
    } catch (err) {
      it('factory', () => {
        throw err;
      });
      return;
    }
    for (const check of checks) {
      it.skipIf(unavailable !== undefined)(check.name, async () => {
        const r = await runPluginCheck(check);
        if (!r.passed) throw new ConformanceError(`${name}: ${check.name}`, r.error ?? r.detail ?? 'failed', 'see the plugin suite in @flatsparse/plugin-api/testing.');
      });
    }
  });
}
