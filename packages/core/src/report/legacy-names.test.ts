import { describe, expect, it } from 'vitest';
import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import { LEGACY_NAMES, upgradeFigureKey, upgradeFlatnessRecord, upgradeName, upgradeRecord } from './legacy-names.js';
import type { RunRecord } from './run-record.js';

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

describe('names of flatsparse 0.2 run directories', () => {
  it('maps every old camelCase contribution name to a distinct kebab-case one', () => {
    const targets = [...LEGACY_NAMES.values()];
    expect(new Set(targets).size).toBe(targets.length);
    for (const [old, now] of LEGACY_NAMES) {
      expect(old, old).toMatch(/[A-Z]/);
      expect(now, old).toMatch(KEBAB);
      // The old name spelled out in words is the new one: 'jSquaredReLU' -> 'j-squared-relu'.
      expect(now.replace(/-/g, ''), old).toBe(old.toLowerCase());
    }
  });

  it('upgrades names and figure keys, leaving current and unknown ones alone', () => {
    expect(upgradeName('jSquaredReLU')).toBe('j-squared-relu');
    expect(upgradeName('relu')).toBe('relu');
    expect(upgradeName('fatrelu')).toBe('fatrelu');
    expect(upgradeFigureKey('activationSparsity.value')).toBe('activation-sparsity.value');
    expect(upgradeFigureKey('worstCaseSharpness.worstCaseSharpness')).toBe('worst-case-sharpness.worstCaseSharpness');
    expect(upgradeFigureKey('augmented-flatness.asK')).toBe('augmented-flatness.asK');
    expect(upgradeFigureKey('myMetric.value')).toBe('myMetric.value');
    expect(upgradeFigureKey('deadNeurons')).toBe('dead-neurons');
  });

  it('upgrades a record of metrics.jsonl (figures and loss terms) and returns a current one as it is', () => {
    const old: RunRecord = {
      step: 9,
      split: 'train',
      loss: 1.5,
      lr: 0.01,
      figures: { 'activationSparsity.value': { mean: 0.5, perLayer: [0.4, 0.6] }, 'zerothBias.atBound': { mean: 0.1, perLayer: [0.1] }, 'custom.value': { mean: 2, perLayer: [2] } },
      lossTerms: { l1Activation: 0.02 },
    };
    const now = upgradeRecord(old);
    expect(now).toEqual({
      ...old,
      figures: { 'activation-sparsity.value': { mean: 0.5, perLayer: [0.4, 0.6] }, 'zeroth-bias.atBound': { mean: 0.1, perLayer: [0.1] }, 'custom.value': { mean: 2, perLayer: [2] } },
      lossTerms: { 'l1-activation': 0.02 },
    });
    expect(upgradeRecord(now)).toBe(now);
    const heldOut: RunRecord = { step: 9, split: 'heldOut', loss: 1.2, accuracy: 0.9, figures: { 'derivativeSparsity.value': { mean: 0.3, perLayer: [0.3] } } };
    expect(upgradeRecord(heldOut)).toEqual({ ...heldOut, figures: { 'derivative-sparsity.value': { mean: 0.3, perLayer: [0.3] } } });
    expect('lossTerms' in upgradeRecord(heldOut)).toBe(false);
  });

  it('upgrades the estimator name of an estimate', () => {
    const estimate: FlatnessRecord = { step: 0, estimator: 'hessianTrace', plugin: 'hessian-trace', figures: { trace: 3 }, cost: { forwardPasses: 1, backwardPasses: 1, wallMs: 1 } } as unknown as FlatnessRecord;
    expect(upgradeFlatnessRecord(estimate)).toEqual({ ...estimate, estimator: 'hessian-trace' });
    const current = { ...estimate, estimator: 'hessian-trace' };
    expect(upgradeFlatnessRecord(current)).toBe(current);
  });
});
