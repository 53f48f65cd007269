import { type Contributions, PluginError, PluginNonFiniteError } from '@flatsparse/plugin-api/host';
import { FlatsparseError } from '@flatsparse/plugin-api';
import type { FigureSummary, NamedMetric } from '../train/metric-figures.js';
import type { RunWarning } from './fault-records.js';

/** What a run does when a metric fails: 'stop' the run (default) or 'disable' the metric and go on. */
export type MetricFaultPolicy = 'stop' | 'disable';

/**
 * How a run treats plugin faults. Only metrics can be disabled: they measure and never change training.
 * Faults of every other kind (hooks, loss terms, projections, activations) always stop the run.
 */
export interface FaultPolicy {
  /** A metric that throws or reports a NaN/infinite figure: 'stop' (default) or 'disable'. */
  readonly metrics?: MetricFaultPolicy;
}

/** The event name of metric faults. */
export const METRIC_EVENT = 'metric compute';

/**
 * The metrics of a run and what happens when one fails. A metric that throws while computing, or
 * whose figure read back is NaN or infinite, is a fault of the plugin that contributed it
 * (E_PLUGIN_HOOK / E_PLUGIN_NON_FINITE with the plugin, 'metric compute' and the step). Under 'stop'
 * the fault is thrown; under 'disable' the metric is dropped for the rest of the run and a warning is
 * recorded and passed to `onWarning`. Metrics given to the trainer directly, not contributed by a
 * plugin of the host, are attributed under their own name.
 */
export class MetricFaults {
  private list: readonly NamedMetric[];
  private readonly owners = new Map<NamedMetric, string>();
  private readonly warnings: RunWarning[] = [];

  constructor(
    metrics: readonly NamedMetric[],
    contributions: Contributions,
    private readonly policy: MetricFaultPolicy = 'stop',
    private readonly onWarning?: (warning: RunWarning) => void,
  ) {
    this.list = metrics;
    for (const m of metrics) {
      const byValue = contributions.metrics.all().find((c) => c.value === m.metric);
      this.owners.set(m, byValue?.plugin ?? (contributions.metrics.has(m.name) ? contributions.metrics.get(m.name).plugin : m.name));
    }
  }

  /** The metrics still measured. */
  get active(): readonly NamedMetric[] {
    return this.list;
  }

  /** Warnings recorded so far (one per disabled metric). */
  get recorded(): readonly RunWarning[] {
    return this.warnings;
  }

  /** The plugin a metric is attributed to. */
  ownerOf(metric: NamedMetric): string {
    return this.owners.get(metric) ?? metric.name;
  }

  /** A metric threw at `step` (in compute or when its figures were stacked). */
  threw(metric: NamedMetric, step: number, error: unknown): void {
    this.fault(metric, new PluginError(this.ownerOf(metric), METRIC_EVENT, step, error, this.fix(metric, error instanceof FlatsparseError ? error.fix : undefined)));
  }

  /**
   * Checks figures read back at `step`: a NaN or infinite value (any layer, or the sum) is a fault of
   * its metric. Returns the figures without those of metrics disabled (under 'disable').
   */
  checkFigures(step: number, figures: Readonly<Record<string, FigureSummary>>): Record<string, FigureSummary> {
    const out: Record<string, FigureSummary> = { ...figures };
    for (const metric of this.list) {
      const prefix = `${metric.name}.`;
      const names = Object.keys(figures).filter((n) => n.startsWith(prefix));
      for (const name of names) {
        const f = figures[name]!;
        const layer = f.perLayer.findIndex((v) => !Number.isFinite(v));
        const bad = layer >= 0 ? f.perLayer[layer]! : f.sum !== undefined && !Number.isFinite(f.sum) ? f.sum : undefined;
        if (bad === undefined) continue;
        const what = layer >= 0 ? `figure '${name}' of layer ${layer}` : `the sum of figure '${name}'`;
        this.fault(metric, new PluginNonFiniteError(this.ownerOf(metric), METRIC_EVENT, step, what, bad, this.fix(metric)));
        for (const n of names) delete out[n];
        break;
      }
    }
    return out;
  }

  private fault(metric: NamedMetric, error: PluginError | PluginNonFiniteError): void {
    if (this.policy === 'stop') throw error;
    if (!this.list.includes(metric)) return;
    this.list = this.list.filter((m) => m !== metric);
    const warning: RunWarning = {
      code: error.code,
      plugin: error.plugin,
      event: error.event,
      ...(error.step === undefined ? {} : { step: error.step }),
      message: error.message,
      action: `metric '${metric.name}' disabled for the rest of the run`,
    };
    this.warnings.push(warning);
    this.onWarning?.(warning);
  }

  private fix(metric: NamedMetric, own?: string): string {
    return `${own === undefined ? '' : `${own} `}Fix metric '${metric.name}' of '${this.ownerOf(metric)}', remove it from the run's metrics, or let the run continue without it with the fault policy faults: { metrics: 'disable' } (in a config file: train.faults.metrics: disable).`;
  }
}
