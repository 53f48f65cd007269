import { describe, expect, it } from 'vitest';
import { collectContributions, PluginError, PluginNonFiniteError, checkFiniteFigures } from '@flatsparse/plugin-api/host';
import { NonFiniteStepError } from '../errors.js';
import type { SparsityMetric } from '@flatsparse/plugin-api';
import type { FigureSummary, NamedMetric } from '../train/metric-figures.js';
import { describeFailure, type RunWarning } from './fault-records.js';
import { MetricFaults } from './metric-faults.js';

const metric = (name: string): SparsityMetric => ({ name, compute: () => ({}) });
const base = { version: '1.0.0', apiVersion: '^0.1.0' } as const;
const energy = metric('energy');
const active = metric('active');
const contributions = collectContributions([{ name: 'energy-plugin', ...base, contributes: { metrics: [energy] } }]);
const named: NamedMetric[] = [
  { name: 'energy', metric: energy },
  { name: 'active', metric: active },
];
const fig = (perLayer: number[]): FigureSummary => ({ mean: perLayer.reduce((a, b) => a + b, 0) / perLayer.length, perLayer });

describe('MetricFaults', () => {
  it("attributes a metric to the plugin that contributed it, and a directly given metric to its own name", () => {
    const faults = new MetricFaults(named, contributions);
    expect(faults.ownerOf(named[0]!)).toBe('energy-plugin');
    expect(faults.ownerOf(named[1]!)).toBe('active');
  });

  it("under 'stop' throws E_PLUGIN_NON_FINITE naming plugin, event, step, figure and layer", () => {
    const faults = new MetricFaults(named, contributions);
    const figures = { 'energy.dp': fig([1, Number.NaN, 2]), 'active.value': fig([0.5, 0.5, 0.5]) };
    const error = (() => {
      try {
        faults.checkFigures(7, figures);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PluginNonFiniteError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'energy-plugin', event: 'metric compute', step: 7 });
    expect(Number.isNaN((error as PluginNonFiniteError).value)).toBe(true);
    expect((error as Error).message).toMatch(/figure 'energy\.dp' of layer 1 is NaN/);
    expect(faults.checkFigures(8, { 'energy.dp': fig([1, 2]) })).toEqual({ 'energy.dp': fig([1, 2]) });
  });

  it("under 'disable' drops the metric and its figures for the rest of the run, with one warning", () => {
    const seen: RunWarning[] = [];
    const faults = new MetricFaults(named, contributions, 'disable', (w) => seen.push(w));
    const out = faults.checkFigures(3, { 'energy.dp': fig([1, 2]), 'energy.dz': fig([1, Number.POSITIVE_INFINITY]), 'active.value': fig([0.5, 0.25]) });
    expect(out).toEqual({ 'active.value': fig([0.5, 0.25]) });
    expect(faults.active.map((m) => m.name)).toEqual(['active']);
    faults.threw(named[0]!, 4, new Error('again'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'energy-plugin', event: 'metric compute', step: 3, action: "metric 'energy' disabled for the rest of the run" });
    expect(seen[0]!.message).toMatch(/energy\.dz' of layer 1 is Infinity/);
    expect(faults.recorded).toEqual(seen);
  });

  it("wraps a metric's throw as E_PLUGIN_HOOK with the plugin, 'metric compute' and the step", () => {
    const stop = new MetricFaults(named, contributions);
    expect(() => stop.threw(named[0]!, 2, new Error('boom'))).toThrow(PluginError);
    expect(() => stop.threw(named[0]!, 2, new Error('boom'))).toThrow(/Plugin 'energy-plugin' failed in 'metric compute' at step 2: boom/);
    const disable = new MetricFaults(named, contributions, 'disable');
    disable.threw(named[1]!, 5, new Error('bad shape'));
    expect(disable.active.map((m) => m.name)).toEqual(['energy']);
    expect(disable.recorded[0]).toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'active', step: 5 });
  });

  it('checks the sum of a sum-reduced figure', () => {
    const faults = new MetricFaults(named, contributions);
    expect(() => faults.checkFigures(1, { 'energy.dp': { mean: 1, perLayer: [1, 1], sum: Number.NEGATIVE_INFINITY } })).toThrow(/sum of figure 'energy\.dp' is -Infinity/);
  });
});

describe('checkFiniteFigures', () => {
  it('throws E_PLUGIN_NON_FINITE for the first non-finite figure and accepts finite ones', () => {
    expect(() => checkFiniteFigures('hutch', 'estimate', 10, { trace: 3, traceStdErr: 0.1 })).not.toThrow();
    expect(() => checkFiniteFigures('hutch', 'estimate', 10, { trace: 3, top: Number.NaN, traceStdErr: Number.POSITIVE_INFINITY })).toThrow(
      /\[E_PLUGIN_NON_FINITE\] Plugin 'hutch' produced a non-finite value in 'estimate' at step 10: figure 'top' is NaN/,
    );
  });
});

describe('describeFailure', () => {
  it('takes plugin, event and step from plugin errors, and progress from the trainer', () => {
    const f = describeFailure(new PluginError('p', 'afterStep', 4, new Error('x')), { completedSteps: 4, lastCheckpoint: '/r/checkpoints/step-00000002' });
    expect(f).toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'p', event: 'afterStep', step: 4, completedSteps: 4, lastCheckpoint: '/r/checkpoints/step-00000002' });
    expect(f.message).toMatch(/Plugin 'p' failed in 'afterStep' at step 4: x/);
    expect(Number.isNaN(Date.parse(f.time))).toBe(false);
  });

  it('keeps what other errors carry: a step, or only a name and message', () => {
    expect(describeFailure(new NonFiniteStepError(3, 'the loss', undefined), { completedSteps: 5 })).toMatchObject({ code: 'E_NON_FINITE', step: 3, completedSteps: 5 });
    const plain = describeFailure(new TypeError('oops'), { completedSteps: 0 });
    expect(plain).toMatchObject({ code: 'TypeError', message: 'oops', completedSteps: 0 });
    expect(Object.keys(plain).sort()).toEqual(['code', 'completedSteps', 'message', 'time']);
  });
});
