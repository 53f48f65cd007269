import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { ConfigError, type EventName, type Plugin, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginHost } from '@flatsparse/plugin-api/host';
import { describe, expect, it } from 'vitest';
import { Trainer, type TrainerRecord } from '@flatsparse/core';
import { useBackend } from '../support/backend.js';
import { tinyLoss, tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());

const plugin = (name: string, rest: Partial<Plugin>): Plugin => ({ name, version: '0.0.0', apiVersion: '^0.7.0', ...rest });

/** A plugin that logs every event (and an 'evaluation' payload) into `log`. */
function recorder(log: string[], evaluations: Record<string, number>[] = []): Plugin {
  const hooks: Record<string, (payload: { step: number }) => void> = {};
  for (const event of ['modelBuilt', 'beforeForward', 'afterForward', 'afterBackward', 'afterStep', 'evaluation', 'end'] as EventName[]) {
    hooks[event] = (payload) => {
      log.push(`${event}:${payload.step}`);
      if (event === 'evaluation') evaluations.push({ ...(payload as unknown as { figures: Record<string, number> }).figures });
    };
  }
  return plugin('recorder', { hooks: hooks as Plugin['hooks'] });
}

/** Mean cross-entropy in float64 with label smoothing s: targets (1 - s) one-hot + s / C. */
function crossEntropy(logits: number[][], targets: number[], s: number): number {
  let total = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((acc, x) => acc + Math.exp(x - max), 0));
    row.forEach((x, c) => (total -= ((c === targets[i] ? 1 - s : 0) + s / row.length) * (x - lse)));
  });
  return total / logits.length;
}

const active: SparsityMetric = { name: 'active', compute: (c) => ({ value: tf.mean(tf.cast(tf.greater(c.a, 0), 'float32')) as tf.Scalar }) };
const energy: SparsityMetric = {
  name: 'energy',
  needsGradients: true,
  compute: (c) => ({ dp: tf.sum(tf.square(c.dp!)) as tf.Scalar, dz: tf.sum(tf.square(c.dz!)) as tf.Scalar }),
};

describe.skipIf(!state.available)('Trainer events and hooks', () => {
  it('fires the events in the documented order: modelBuilt first, four per step, evaluation after eval steps, end last', async () => {
    const { model, dataset } = tinySetup();
    const log: string[] = [];
    const host = await PluginHost.create([
      recorder(log),
      plugin('projector', { contributes: { regularizers: [{ name: 'noop', project: (_m, step) => void log.push(`project:${step}`) }] } }),
    ]);
    const summary = await new Trainer({ model, dataset, host, steps: 4, batchSize: 8, lr: 0.01, logEvery: 2, evalEvery: 2 }).run();
    const perStep = (s: number) => [`beforeForward:${s}`, `afterForward:${s}`, `afterBackward:${s}`, `project:${s}`, `afterStep:${s}`];
    expect(log).toEqual(['modelBuilt:0', ...perStep(0), ...perStep(1), 'evaluation:1', ...perStep(2), ...perStep(3), 'evaluation:3', 'end:4']);
    expect(summary.steps).toBe(4);
    expect(summary.finalTrain?.step).toBe(3);
    expect(summary.finalHeldOut?.step).toBe(3);
    model.dispose();
    await host.dispose();
  });

  it("adds a regularizer's weighted loss term to the gradients and runs its projection after every step", async () => {
    const gradsWith: number[][] = [];
    const gradsWithout: number[][] = [];
    const w0: number[][] = [];
    const scales: number[][] = [];
    const records: TrainerRecord[] = [];
    const grabber = (into: number[][]) =>
      plugin('grabber', {
        hooks: {
          beforeForward: ({ step }) => {
            if (step === 0) w0.push(Array.from(model.params.get('head.weight')!.dataSync()));
          },
          afterBackward: ({ step, grads }) => {
            if (step === 0) into.push(Array.from(grads.get('head.weight')!.dataSync()));
          },
          afterStep: ({ model: m }) => void scales.push(Array.from(m.params.get('blocks.0.ln.scale')!.dataSync())),
        },
      });
    let model = tinySetup().model;
    const l2 = plugin('l2', {
      contributes: {
        regularizers: [
          {
            name: 'l2',
            weight: () => 0.5,
            lossTerm: ({ model: m }) => tf.sum(tf.square(m.params.get('head.weight')!)) as tf.Scalar,
            project: (m) => void m.params.get('blocks.0.ln.scale')!.assign(tf.maximum(m.params.get('blocks.0.ln.scale')!, 1.05)),
          },
        ],
      },
    });
    const { dataset } = tinySetup();
    let host = await PluginHost.create([grabber(gradsWith), l2]);
    await new Trainer({ model, dataset, host, steps: 3, batchSize: 8, lr: 0.01, logEvery: 1, sink: { write: (r) => void records.push(r) } }).run();
    model.dispose();
    await host.dispose();
    expect(scales).toHaveLength(3);
    for (const s of scales) for (const v of s) expect(v).toBeGreaterThanOrEqual(1.05 - 1e-7);
    const trainRecords = records.filter((r) => r.split === 'train');
    expect(trainRecords.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(trainRecords[0]!.lossTerms.l2).toBeCloseTo(0.5 * w0[0]!.reduce((s, x) => s + x * x, 0), 5);

    model = tinySetup().model;
    host = await PluginHost.create([grabber(gradsWithout)]);
    await new Trainer({ model, dataset, host, steps: 1, batchSize: 8, lr: 0.01 }).run();
    model.dispose();
    await host.dispose();
    // d/dW of 0.5 * sum(W^2) is W: the difference of the two gradients is the initial head weight.
    expect(w0[0]).toEqual(w0[1]);
    gradsWith[0]!.forEach((g, i) => expect(g - gradsWithout[0]![i]!).toBeCloseTo(w0[0]![i]!, 5));
  });

  it('logs metric figures, losses and held-out results equal to a direct computation on the same batch', async () => {
    const { model, dataset } = tinySetup({ blocks: 2 });
    const expected = new Map<number, { loss: number; active: number[]; dp: number[]; dz: number[] }>();
    const probeChecks: number[] = [];
    const evaluations: Record<string, number>[] = [];
    const direct = plugin('direct', {
      hooks: {
        beforeForward: ({ step, batch }) => {
          tf.tidy(() => {
            const probes = model.probeShapes(batch.inputs).map((s) => ({ p: tf.zeros(s.p), a: tf.zeros(s.a), z: tf.zeros(s.z) }));
            const flat = probes.flatMap((p) => [p.p, p.a, p.z]);
            const f = (...xs: tf.Tensor[]) => {
              const regrouped = probes.map((_, b) => ({ p: xs[3 * b]!, a: xs[3 * b + 1]!, z: xs[3 * b + 2]! }));
              return tinyLoss(model.forward(batch.inputs, { training: true, step, probes: regrouped }).output, batch.targets, 0.1);
            };
            const { value, grads } = tf.valueAndGrads(f)(flat);
            const { output, captures } = model.forward(batch.inputs, { training: true, step });
            const sumSq = (t: tf.Tensor) => Array.from(t.dataSync()).reduce((s, x) => s + x * x, 0);
            const targets = Array.from(batch.targets.dataSync());
            expect(value.dataSync()[0]).toBeCloseTo(crossEntropy(output.arraySync() as number[][], targets, 0.1), 5);
            expected.set(step, {
              loss: crossEntropy(output.arraySync() as number[][], targets, 0.1),
              active: captures.map((c) => Array.from(c.a.dataSync()).filter((x) => x > 0).length / c.a.size),
              dp: captures.map((_, b) => sumSq(grads[3 * b]!)),
              dz: captures.map((_, b) => sumSq(grads[3 * b + 2]!)),
            });
          });
        },
        afterBackward: ({ captures }) => {
          // eta = sigma'(p) * g: the probe gradients are wired to the right places.
          for (const c of captures) {
            const p = c.p.dataSync();
            const da = c.da!.dataSync();
            const dp = c.dp!.dataSync();
            for (let i = 0; i < p.length; i++) probeChecks.push(Math.abs(dp[i]! - (p[i]! > 0 ? da[i]! : 0)));
          }
        },
        evaluation: ({ figures }) => void evaluations.push({ ...figures }),
      },
    });
    const host = await PluginHost.create([direct]);
    const records: TrainerRecord[] = [];
    await new Trainer({
      model,
      dataset,
      host,
      steps: 4,
      batchSize: 8,
      lr: 0.02,
      labelSmoothing: 0.1,
      logEvery: 2,
      metrics: [
        { name: 'act', metric: active },
        { name: 'en', metric: energy },
      ],
      sink: { write: (r) => void records.push(r) },
    }).run();

    expect(Math.max(...probeChecks)).toBeLessThan(1e-6);
    const train = records.filter((r) => r.split === 'train');
    expect(train.map((r) => r.step)).toEqual([1, 3]);
    for (const r of train) {
      const e = expected.get(r.step)!;
      expect(r.loss).toBeCloseTo(e.loss, 5);
      expect(r.lr).toBe(0.02);
      expect(r.figures['act.value']!.perLayer).toHaveLength(2);
      r.figures['act.value']!.perLayer.forEach((v, b) => expect(v).toBeCloseTo(e.active[b]!, 6));
      expect(r.figures['act.value']!.mean).toBeCloseTo((e.active[0]! + e.active[1]!) / 2, 6);
      r.figures['en.dp']!.perLayer.forEach((v, b) => expect(v).toBeCloseTo(e.dp[b]!, 6));
      r.figures['en.dz']!.perLayer.forEach((v, b) => expect(v).toBeCloseTo(e.dz[b]!, 6));
      expect(e.dp.some((x) => x > 1e-8)).toBe(true);
    }

    // Held-out pass at the end: loss without label smoothing, accuracy by argmax, forward-only metrics only.
    const heldOut = records.filter((r) => r.split === 'heldOut');
    expect(heldOut).toHaveLength(1);
    const h = heldOut[0]!;
    const direct2 = tf.tidy(() => {
      const inputs = tf.tensor(dataset.heldOut.inputs, [dataset.heldOut.size, ...dataset.heldOut.inputShape]);
      const { output, captures } = model.forward(inputs, { training: false, step: 4 });
      const logits = output.arraySync() as number[][];
      const targets = Array.from(dataset.heldOut.targets);
      const correct = logits.filter((row, i) => row.indexOf(Math.max(...row)) === targets[i]).length;
      const act = captures.map((c) => Array.from(c.a.dataSync()).filter((x) => x > 0).length / c.a.size);
      return { loss: crossEntropy(logits, targets, 0), accuracy: correct / logits.length, act };
    });
    expect(h.loss).toBeCloseTo(direct2.loss, 5);
    expect(h.accuracy).toBeCloseTo(direct2.accuracy, 10);
    h.figures['act.value']!.perLayer.forEach((v, b) => expect(v).toBeCloseTo(direct2.act[b]!, 6));
    expect(h.figures['en.dp']).toBeUndefined();
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]!.loss).toBe(h.loss);
    expect(evaluations[0]!.accuracy).toBe(h.accuracy);
    expect(evaluations[0]!['act.value']).toBe(h.figures['act.value']!.mean);
    expect(evaluations[0]!['act.value.layer1']).toBe(h.figures['act.value']!.perLayer[1]);
    model.dispose();
    await host.dispose();
  });

  it('never updates frozen parameters and stops after the current step when the signal aborts', async () => {
    const { model, dataset } = tinySetup();
    const controller = new AbortController();
    const log: string[] = [];
    const gradNames: string[][] = [];
    const shift0 = Array.from(model.params.get('blocks.0.ln.shift')!.dataSync());
    const scale0 = Array.from(model.params.get('blocks.0.ln.scale')!.dataSync());
    const host = await PluginHost.create([
      recorder(log),
      plugin('freeze', {
        hooks: {
          modelBuilt: ({ model: m }) => m.setTrainable('blocks.0.ln.shift', false),
          afterBackward: ({ grads }) => void gradNames.push([...grads.keys()]),
          afterStep: ({ step }) => {
            if (step === 2) controller.abort();
          },
        },
      }),
    ]);
    const summary = await new Trainer({ model, dataset, host, steps: 50, batchSize: 8, lr: 0.05, logEvery: 10, signal: controller.signal }).run();
    expect(summary.steps).toBe(3);
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.finalHeldOut?.step).toBe(2);
    expect(log.slice(-2)).toEqual(['evaluation:2', 'end:3']);
    expect(gradNames).toHaveLength(3);
    for (const names of gradNames) expect(names).not.toContain('blocks.0.ln.shift');
    expect(Array.from(model.params.get('blocks.0.ln.shift')!.dataSync())).toEqual(shift0);
    expect(Array.from(model.params.get('blocks.0.ln.scale')!.dataSync())).not.toEqual(scale0);
    model.dispose();
    await host.dispose();
  });

  it('emits end with reason failed when a hook throws, and validates options before training', async () => {
    const { model, dataset } = tinySetup();
    const log: string[] = [];
    const host = await PluginHost.create([
      recorder(log),
      plugin('boom', { hooks: { afterStep: ({ step }) => { if (step === 1) throw new Error('boom at 1'); } } }),
    ]);
    await expect(new Trainer({ model, dataset, host, steps: 5, batchSize: 8, lr: 0.01 }).run()).rejects.toThrow(/boom at 1/);
    expect(log.at(-1)).toBe('end:1');
    expect(() => new Trainer({ model, dataset, host, steps: 0, batchSize: 8, lr: 0.01 })).toThrow(ConfigError);
    expect(() => new Trainer({ model, dataset, host, steps: 2, batchSize: 8, lr: 0.01, checkpointEvery: 1 })).toThrow(/trainer\.runDir/);
    expect(() => new Trainer({ model, dataset, host, steps: 2, batchSize: 8, lr: { kind: 'cosine', lr: 1, warmupSteps: 5 } })).toThrow(/lr\.totalSteps/);
    model.dispose();
    await host.dispose();
  });
});
