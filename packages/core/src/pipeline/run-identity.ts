import { type Dataset, ConfigError, type Plugin } from '@flatsparse/plugin-api';
import type { ResolvedModel } from './build-model.js';

/**
 * What makes a run the run it is: a resume that changes any of these would continue a different
 * experiment under the same history. Stored in run.json as `identity`.
 */
export interface RunIdentity {
  readonly model: string;
  readonly activation: string;
  /** Plugins that can change training (hooks, setup, loss terms, activations), by name; pure metrics and estimators may change. */
  readonly plugins: readonly string[];
  readonly data: string;
  readonly seed: number;
  readonly batchSize: number;
}

/** The config key of each part of the identity, for messages. */
const KEYS: Readonly<Record<keyof RunIdentity, string>> = { model: 'model', activation: 'activation', plugins: 'plugins', data: 'data', seed: 'seed', batchSize: 'train.batchSize' };

/** The identity of a run from its parts (the data set loaded, the model resolved against it). */
export function runIdentity(parts: { plugins: readonly Plugin[]; activation: string; seed: number; batchSize: number }, model: ResolvedModel, dataset: Dataset): RunIdentity {
  const measuresOnly = (p: Plugin) => p.hooks === undefined && p.setup === undefined && !p.contributes?.activations?.length && !p.contributes?.regularizers?.length;
  return {
    model: `${model.kind} ${JSON.stringify(model.config)}`,
    activation: parts.activation,
    plugins: parts.plugins.filter((p) => !measuresOnly(p)).map((p) => p.name).sort(),
    data: `${dataset.name} (${dataset.train.size} train / ${dataset.heldOut.size} held-out; ${dataset.source})`,
    seed: parts.seed,
    batchSize: parts.batchSize,
  };
}

/** One part of the identity that differs between the run in a directory and its resume. */
export interface IdentityChange {
  readonly key: string;
  readonly from: unknown;
  readonly to: unknown;
}

/**
 * Compares the identity a run was started with (run.json; absent for runs of older versions, or killed
 * before it was written: nothing to compare) with a resume's. Differences throw ConfigError listing
 * every changed key, unless `allowChanged`; then they are returned, to be recorded in run.json.
 */
export function compareIdentity(stored: unknown, now: RunIdentity, runDir: string, allowChanged: boolean): IdentityChange[] {
  if (typeof stored !== 'object' || stored === null) return [];
  const before = stored as Record<string, unknown>;
  const changes = (Object.keys(KEYS) as (keyof RunIdentity)[])
    .filter((k) => k in before && JSON.stringify(before[k]) !== JSON.stringify(now[k]))
    .map((k) => ({ key: KEYS[k], from: before[k], to: now[k] }));
  if (changes.length === 0 || allowChanged) return changes;
  const list = changes.map((c) => `${c.key} was ${JSON.stringify(c.from)}, now ${JSON.stringify(c.to)}`).join('; ');
  throw new ConfigError(changes[0]!.key, `a resume of '${runDir}' must continue the same run, but ${list}. Nothing was written.`, {
    received: changes.map((c) => c.key),
    expected: 'the model, activation, plugins, data, seed and batch size the run was started with',
    fix: 'resume with the config the run was started with; or start a new run (another --out, or --overwrite); or pass --allow-changed to continue with the change (run.json records it under resumes).',
  });
}
