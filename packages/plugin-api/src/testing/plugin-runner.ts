import type { Plugin } from '../plugin.js';
import { validatePlugin } from '../plugin-validation.js';
import { Rng } from '../random.js';
import { checkActivation } from './activation-check.js';
import { caseSeed } from './backend-runner.js';
import { checkEstimator, checkMetric, checkRegularizer, checkUpdateMethod } from './contribution-checks.js';
import { errorAttributionCheck, hookOrderCheck, lifecycleLeakCheck, validationCheck } from './plugin-checks.js';
import type { PluginCheck, PluginCheckResult, PluginConformanceOptions, PluginConformanceReport } from './plugin-types.js';

/**
 * Every check of the plugin suite for one plugin factory: validation, hook order, error attribution,
 * leaks over a run, and one check per contributed activation, metric, regularizer and estimator. The
 * factory is called once here (to list the contributions) and again in every check, so checks share
 * no state. An invalid plugin gets only the (failing) validation check. Needs an active tfjs backend.
 */
export function pluginConformanceChecks(factory: () => Plugin, options: PluginConformanceOptions = {}): PluginCheck[] {
  const plugin = factory();
  try {
    validatePlugin(plugin);
  } catch {
    return [validationCheck(factory)];
  }
  const seed = options.seed ?? 1;
  const activations = plugin.contributes?.activations ?? [];
  const fresh = <T extends { name: string }>(kind: 'activations' | 'estimators' | 'updateMethods', name: string): T =>
    (factory().contributes?.[kind] as readonly T[] | undefined)!.find((x) => x.name === name)!;
  return [
    validationCheck(factory),
    hookOrderCheck(factory, options),
    errorAttributionCheck(factory, options),
    lifecycleLeakCheck(factory, options),
    ...activations.map((a) => ({ name: `activation ${a.name}`, run: () => checkActivation(fresh('activations', a.name), new Rng(caseSeed(seed, a.name))) })),
    ...(plugin.contributes?.metrics ?? []).map((m) => ({ name: `metric ${m.name}`, run: () => checkMetric(m.name, factory, activations, options) })),
    ...(plugin.contributes?.regularizers ?? []).map((r) => ({ name: `regularizer ${r.name}`, run: () => checkRegularizer(r.name, factory, options) })),
    ...(plugin.contributes?.estimators ?? []).map((e) => ({ name: `estimator ${e.name}`, run: () => checkEstimator(fresh('estimators', e.name)) })),
    ...(plugin.contributes?.updateMethods ?? []).map((u) => ({ name: `update method ${u.name}`, run: () => checkUpdateMethod(fresh('updateMethods', u.name)) })),
  ];
}

/** Runs one check, turning a thrown error into a failed result. */
export async function runPluginCheck(check: PluginCheck): Promise<PluginCheckResult> {
  try {
    const { passed, detail } = await check.run();
    return { name: check.name, passed, detail };
  } catch (err) {
    return { name: check.name, passed: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Runs the plugin suite on the active tfjs backend: any plugin, third-party ones included. A factory
 * that throws, or returns something that is not a plugin, gives a report with the one failed check.
 */
export async function runPluginConformance(factory: () => Plugin, options: PluginConformanceOptions = {}): Promise<PluginConformanceReport> {
  let checks: PluginCheck[];
  let name = '(unknown)';
  try {
    name = String((factory() as { name?: unknown })?.name ?? name);
    checks = pluginConformanceChecks(factory, options);
  } catch (err) {
    return { plugin: name, results: [{ name: 'factory', passed: false, error: err instanceof Error ? err.message : String(err) }], passed: false };
  }
  const results: PluginCheckResult[] = [];
  for (const check of checks) results.push(await runPluginCheck(check));
  return { plugin: name, results, passed: results.every((r) => r.passed) };
}
