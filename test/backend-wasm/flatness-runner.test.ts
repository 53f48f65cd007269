import { wasmBackend } from '@flatsparse/backend-wasm';
import { EstimatorRunner, makeBatch, type EstimatorSchedule } from '@flatsparse/core';
import { ConfigError, FlatsparseError, type FlatnessEstimator, type Plugin } from '@flatsparse/plugin-api';
import { ContributionUnknownError, collectContributions } from '@flatsparse/plugin-api/host';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { tinyLoss, tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());

function plugin(name: string, ...estimators: FlatnessEstimator[]): Plugin {
  return { name, version: '1.0.0', apiVersion: '*', contributes: { estimators } };
}

/** Reads the loss closure once: an estimate of 0 passes whose figure is the loss itself. */
const lossValue: FlatnessEstimator = {
  name: 'loss-value',
  async estimate(input) {
    const t = input.loss();
    const loss = (await t.data())[0]!;
    t.dispose();
    return { figures: { loss, seed: input.seed }, cost: { forwardPasses: 1, backwardPasses: 0, wallMs: 0 } };
  },
};

describe.skipIf(!state.available)('EstimatorRunner (wasm)', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => disposers.splice(0).forEach((d) => d()));

  function setup(estimators: FlatnessEstimator[], schedules: readonly EstimatorSchedule[] = estimators.map((e) => ({ name: e.name })), batchSize = 6) {
    const { model, dataset } = tinySetup();
    let runner: EstimatorRunner;
    try {
      runner = new EstimatorRunner(model, dataset, collectContributions([plugin('p-test', ...estimators)]), schedules, { batchSize, seed: 11 });
    } catch (err) {
      model.dispose();
      throw err;
    }
    disposers.push(() => {
      runner.dispose();
      model.dispose();
    });
    return { model, dataset, runner };
  }

  it('evaluates the loss on the first batchSize held-out examples in evaluation mode, with the run seed', async () => {
    const { model, dataset, runner } = setup([lossValue]);
    const [record] = await runner.run(5);
    const batch = makeBatch(dataset.heldOut, [0, 1, 2, 3, 4, 5]);
    const expected = tf.tidy(() => tinyLoss(model.forward(batch.inputs, { training: false, step: 5 }).output, batch.targets));
    expect(record!.figures.loss).toBeCloseTo((await expected.data())[0]!, 6);
    tf.dispose([expected, batch.inputs, batch.targets]);
    expect(record).toMatchObject({ step: 5, estimator: 'loss-value', plugin: 'p-test', batch: { size: 6, split: 'heldOut' } });
    expect(record!.figures.seed).toBe(11);
  });

  it('schedules every k steps (and at the start), at the end (default on) and at checkpoints (default off)', () => {
    const other: FlatnessEstimator = { ...lossValue, name: 'other' };
    const { runner } = setup([lossValue, other], [{ name: 'loss-value', every: 3 }, { name: 'other', atEnd: false, atCheckpoints: true }]);
    expect(runner.due(3, { last: false, checkpoint: false })).toEqual(['loss-value']);
    expect(runner.due(4, { last: false, checkpoint: false })).toEqual([]);
    expect(runner.due(4, { last: true, checkpoint: false })).toEqual(['loss-value']);
    expect(runner.due(4, { last: false, checkpoint: true })).toEqual(['other']);
    expect(runner.due(6, { last: true, checkpoint: true })).toEqual(['loss-value', 'other']);
    expect(runner.due(0, { start: true, last: false, checkpoint: false })).toEqual(['loss-value']);
  });

  it('rejects unknown, duplicated and badly scheduled estimators before any tensor is made', () => {
    const before = tf.memory().numTensors;
    expect(() => setup([lossValue], [{ name: 'hessian-trace' }])).toThrow(ContributionUnknownError);
    expect(() => setup([lossValue], [{ name: 'loss-value' }, { name: 'loss-value' }])).toThrow(/scheduled twice/);
    try {
      setup([lossValue], [{ name: 'loss-value', every: 0 }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).path).toBe('estimators.0.every');
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  const faulty: [string, FlatnessEstimator, RegExp, string][] = [
    ['throws', { name: 'bad', estimate: async () => { throw new Error('boom'); } }, /boom/, 'E_PLUGIN_HOOK'],
    ['leaks a tensor', { name: 'bad', estimate: async () => { tf.keep(tf.scalar(1)); return { figures: { x: 1 }, cost: { forwardPasses: 0, backwardPasses: 0, wallMs: 0 } }; } }, /1 tensor/, 'E_PLUGIN_LEAK'],
    [
      'does not restore a parameter',
      {
        name: 'bad',
        async estimate(input) {
          const [, v] = [...input.params][0]!;
          tf.tidy(() => v.assign(tf.add(v, 1e-3)));
          return { figures: { x: 1 }, cost: { forwardPasses: 0, backwardPasses: 0, wallMs: 0 } };
        },
      },
      /was not restored/,
      'E_PLUGIN_HOOK',
    ],
    ['returns NaN', { name: 'bad', estimate: async () => ({ figures: { trace: Number.NaN }, cost: { forwardPasses: 0, backwardPasses: 0, wallMs: 0 } }) }, /figure 'trace'/, 'E_PLUGIN_NON_FINITE'],
  ];
  it.each(faulty)('attributes an estimator that %s to its plugin, the estimate and the step', async (_what, estimator, why, code) => {
    const { runner } = setup([estimator]);
    const err = await runner.run(7).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FlatsparseError);
    expect(err).toMatchObject({ code, plugin: 'p-test', event: "estimate 'bad'", step: 7 });
    expect((err as Error).message).toMatch(why);
  });

  it('restores exactly: an estimator that perturbs and assigns back the original values passes', async () => {
    const restoring: FlatnessEstimator = {
      name: 'restoring',
      async estimate(input) {
        const [, v] = [...input.params][0]!;
        const copy = tf.clone(v);
        tf.tidy(() => v.assign(tf.add(v, 0.5)));
        v.assign(copy);
        copy.dispose();
        return { figures: { x: 1 }, cost: { forwardPasses: 0, backwardPasses: 0, wallMs: 0 } };
      },
    };
    const { runner } = setup([restoring]);
    await expect(runner.run(1)).resolves.toHaveLength(1);
  });
});
