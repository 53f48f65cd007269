import type { ActivationFunction } from './activation-function.js';
import { ContributionDuplicateError, ContributionUnknownError } from './errors.js';
import type { FlatnessEstimator } from './flatness-estimator.js';
import type { ModelArchitecture } from './model-architecture.js';
import type { Plugin } from './plugin.js';
import type { Regularizer } from './regularizer.js';
import type { SparsityMetric } from './sparsity-metric.js';
import type { UpdateMethod } from './update-method.js';

/** A contribution and the plugin it came from (for error attribution). */
export interface Contributed<T> {
  readonly value: T;
  readonly plugin: string;
}

/** One kind of contribution, by name. */
export class ContributionTable<T extends { readonly name: string }> {
  private readonly byName = new Map<string, Contributed<T>>();

  constructor(readonly kind: string) {}

  /** Adds a contribution; throws E_CONTRIBUTION_DUPLICATE if the name is taken. */
  add(value: T, plugin: string): void {
    const prior = this.byName.get(value.name);
    if (prior) throw new ContributionDuplicateError(this.kind, value.name, prior.plugin, plugin);
    this.byName.set(value.name, { value, plugin });
  }

  /** Returns the named contribution; throws E_CONTRIBUTION_UNKNOWN listing the known names. */
  get(name: string): Contributed<T> {
    const found = this.byName.get(name);
    if (!found) throw new ContributionUnknownError(this.kind, name, this.names());
    return found;
  }

  /** Whether a contribution of that name exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Every contribution, in plugin order. */
  all(): readonly Contributed<T>[] {
    return [...this.byName.values()];
  }

  /** Every name, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** Everything the plugins of a run contribute. */
export interface Contributions {
  readonly activations: ContributionTable<ActivationFunction>;
  readonly metrics: ContributionTable<SparsityMetric>;
  readonly estimators: ContributionTable<FlatnessEstimator>;
  readonly regularizers: ContributionTable<Regularizer>;
  /** Step-level methods (at most one may be active in a run: the trainer checks). */
  readonly updateMethods: ContributionTable<UpdateMethod>;
  /** Model architectures, by `model.kind` (optional since it came in plugin API 0.7.2: a Contributions written by hand before may lack it; collectContributions always fills it). */
  readonly models?: ContributionTable<ModelArchitecture>;
}

/** Collects the contributions of plugins given in run order. */
export function collectContributions(plugins: readonly Plugin[]): Contributions {
  const out: Contributions = {
    activations: new ContributionTable('activation'),
    metrics: new ContributionTable('metric'),
    estimators: new ContributionTable('flatness estimator'),
    regularizers: new ContributionTable('regularizer'),
    updateMethods: new ContributionTable('update method'),
    models: new ContributionTable('model'),
  };
  for (const p of plugins) {
    for (const a of p.contributes?.activations ?? []) out.activations.add(a, p.name);
    for (const m of p.contributes?.metrics ?? []) out.metrics.add(m, p.name);
    for (const e of p.contributes?.estimators ?? []) out.estimators.add(e, p.name);
    for (const r of p.contributes?.regularizers ?? []) out.regularizers.add(r, p.name);
    for (const u of p.contributes?.updateMethods ?? []) out.updateMethods.add(u, p.name);
    for (const m of p.contributes?.models ?? []) out.models!.add(m, p.name);
  }
  return out;
}
