import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { Trainer, type RunWarning, type TrainerOptions, type TrainerRecord } from '@flatsparse/core';
import { type EventName, type EventPayloads, type Plugin, type PluginPermissions, type SparsityMetric } from '@flatsparse/plugin-api';
import { PluginError, PluginHost, PluginLeakError, PluginNonFiniteError, PluginOwnershipError } from '@flatsparse/plugin-api/host';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { tinySetup } from '../support/tiny-model.js';

const state = await useBackend(wasmBackend());
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const plugin = (name: string, rest: Partial<Plugin>): Plugin => ({ name, version: '0.0.0', apiVersion: '^0.7.0', ...rest });

/** One hook on one event, as a plugin. */
function hook<E extends EventName>(name: string, event: E, handler: (payload: EventPayloads[E]) => void, rest: Partial<Plugin> = {}): Plugin {
  return plugin(name, { ...rest, hooks: { [event]: handler } as Plugin['hooks'] });
}

interface Outcome {
  readonly error: unknown;
  readonly ends: EventPayloads['end'][];
  readonly records: TrainerRecord[];
  readonly warnings: RunWarning[];
  readonly leftOver: number;
}

/**
 * Trains the tiny model (1 block unless `blocks`) with the plugins plus an 'end' recorder for `steps`
 * steps; returns the error (if any), the 'end' payloads, the records, the warnings and the tensors left
 * allocated after the model and the host are disposed.
 */
async function train(plugins: readonly Plugin[], options: Partial<TrainerOptions> & { blocks?: number } = {}): Promise<Outcome> {
  const { blocks, ...rest } = options;
  const baseline = tf.memory().numTensors;
  const { model, dataset } = tinySetup({ blocks });
  const ends: EventPayloads['end'][] = [];
  const records: TrainerRecord[] = [];
  const warnings: RunWarning[] = [];
  const host = await PluginHost.create([...plugins, hook('zz-end-recorder', 'end', (p) => void ends.push(p))]);
  let error: unknown;
  try {
    await new Trainer({ model, dataset, host, steps: 4, batchSize: 8, lr: 0.01, logEvery: 2, sink: { write: (r) => void records.push(r) }, onWarning: (w) => void warnings.push(w), ...rest }).run();
  } catch (e) {
    error = e;
  }
  model.dispose();
  await host.dispose();
  return { error, ends, records, warnings, leftOver: tf.memory().numTensors - baseline };
}

/** Tensors the leaking test plugins keep (released after each test that makes them). */
const leaked: tf.Tensor[] = [];
const kept = (n: number) => {
  for (let i = 0; i < n; i++) leaked.push(tf.keep(tf.scalar(i)));
};
const releaseLeaked = () => tf.dispose(leaked.splice(0));
const at = (step: number, fn: () => void) => (payload: { step: number }) => {
  if (payload.step === step) fn();
};

describe.skipIf(!state.available)('plugin faults: throws', () => {
  const events: [EventName, number][] = [
    ['modelBuilt', 0],
    ['beforeForward', 2],
    ['afterForward', 2],
    ['afterBackward', 2],
    ['afterStep', 2],
    ['evaluation', 1],
  ];
  it.each(events)("a throw in '%s' is E_PLUGIN_HOOK naming the plugin, the event and step %i; 'end' says failed", async (event, step) => {
    const { error, ends } = await train([hook('boom', event, at(step, () => { throw new Error(`boom in ${event}`); }))], { evalEvery: 2 });
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'boom', event, step });
    expect((error as Error).message).toContain(`boom in ${event}`);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ reason: 'failed', error });
  });

  it("a throw in 'end' of a completed run, in setup, in a loss term and in a projection are attributed too", async () => {
    const end = await train([hook('boom', 'end', () => { throw new Error('boom at end'); })]);
    expect(end.error).toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'boom', event: 'end', step: 4 });
    await expect(PluginHost.create([plugin('boom', { setup: () => { throw new Error('no setup'); } })])).rejects.toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'boom', event: 'setup', step: undefined });
    const term = await train([plugin('reg', { contributes: { regularizers: [{ name: 'bad', lossTerm: ({ step }) => { if (step === 1) throw new Error('term'); return tf.scalar(0); } }] } })]);
    expect(term.error).toMatchObject({ plugin: 'reg', event: "lossTerm 'bad'", step: 1 });
    const project = await train([plugin('proj', { contributes: { regularizers: [{ name: 'clip', project: (_m, step) => { if (step === 3) throw new Error('proj'); } }] } })]);
    expect(project.error).toMatchObject({ plugin: 'proj', event: "project 'clip'", step: 3 });
    for (const o of [end, term, project]) expect(o.leftOver).toBe(0);
  });

  it("a metric that throws is E_PLUGIN_HOOK naming the contributing plugin, 'metric compute' and the step", async () => {
    const broken: SparsityMetric = { name: 'broken', compute: () => { throw new Error('cannot measure'); } };
    const host = await PluginHost.create([plugin('metric-plugin', { contributes: { metrics: [broken] } })]);
    const { model, dataset } = tinySetup();
    const error = await new Trainer({ model, dataset, host, steps: 4, batchSize: 8, lr: 0.01, logEvery: 2, metrics: [{ name: 'broken', metric: broken }] }).run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ plugin: 'metric-plugin', event: 'metric compute', step: 1 });
    expect((error as PluginError).fix).toMatch(/faults: \{ metrics: 'disable' \}/);
    model.dispose();
    await host.dispose();
  });
});

describe.skipIf(!state.available)('plugin faults: NaN and Inf', () => {
  it("a NaN metric figure is E_PLUGIN_NON_FINITE naming the plugin, the figure and its layer, found at the logging step's read-back", async () => {
    const nanAtLayer1: SparsityMetric = { name: 'flaky', compute: (c) => ({ value: c.block.index === 1 ? tf.scalar(Number.NaN) : tf.scalar(0.5) }) };
    const { error, records, ends, leftOver } = await train([plugin('flaky-plugin', { contributes: { metrics: [nanAtLayer1] } })], { blocks: 2, metrics: [{ name: 'flaky', metric: nanAtLayer1 }] });
    expect(error).toBeInstanceOf(PluginNonFiniteError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'flaky-plugin', event: 'metric compute', step: 1 });
    expect((error as Error).message).toMatch(/figure 'flaky\.value' of layer 1 is NaN/);
    expect(records).toEqual([]);
    expect(ends[0]).toMatchObject({ reason: 'failed', step: 2 });
    expect(leftOver).toBe(0);
  });

  it('a figure that is NaN only in evaluation mode fails at the evaluation step', async () => {
    const evalNan: SparsityMetric = { name: 'evalnan', compute: (c) => ({ value: c.training ? tf.scalar(1) : tf.scalar(Number.NaN) }) };
    const { error, records } = await train([plugin('eval-plugin', { contributes: { metrics: [evalNan] } })], { evalEvery: 2, metrics: [{ name: 'evalnan', metric: evalNan }] });
    expect(error).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'eval-plugin', event: 'metric compute', step: 1 });
    expect(records.map((r) => `${r.split}:${r.step}`)).toEqual(['train:1']);
  });

  it("an infinite loss term is E_PLUGIN_NON_FINITE naming its plugin and the first bad step, found by the device-side guard", async () => {
    const fine = plugin('a-fine', { contributes: { regularizers: [{ name: 'fine', lossTerm: ({ model }) => tf.mul(tf.sum(model.params.get('head.weight')!), 0) as tf.Scalar }] } });
    const inf = plugin('inf-plugin', {
      contributes: { regularizers: [{ name: 'inf', weight: () => 2, lossTerm: ({ step, model }) => tf.mul(tf.sum(model.params.get('head.weight')!), step === 2 ? Number.POSITIVE_INFINITY : 0) as tf.Scalar }] },
    });
    const { error, records } = await train([fine, inf], { steps: 8, logEvery: 5 });
    expect(error).toBeInstanceOf(PluginNonFiniteError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_NON_FINITE', plugin: 'inf-plugin', event: "lossTerm 'inf'", step: 2 });
    expect(Math.abs((error as PluginNonFiniteError).value)).toBe(Number.POSITIVE_INFINITY);
    expect((error as Error).message).toMatch(/loss term 'inf'/);
    expect(records).toEqual([]);
  });

  it('a non-finite gradient with finite loss terms stays E_NON_FINITE (no plugin to blame)', async () => {
    const sqrt0 = plugin('sqrt0', {
      contributes: { regularizers: [{ name: 'sqrt0', lossTerm: ({ step, model }) => { const w = tf.sum(model.params.get('head.weight')!); return (step === 1 ? tf.sqrt(tf.sub(w, w)) : tf.mul(w, 0)) as tf.Scalar; } }] },
    });
    const { error } = await train([sqrt0]);
    expect(error).toMatchObject({ code: 'E_NON_FINITE', step: 1 });
  });
});

describe.skipIf(!state.available)('plugin faults: leaks', () => {
  it.each([
    ['afterStep', 1, 1],
    ['beforeForward', 0, 2],
    ['evaluation', 1, 1],
  ] as [EventName, number, number][])("a '%s' hook keeping tensors at step %i is E_PLUGIN_LEAK with the count (%i)", async (event, step, count) => {
    const { error, leftOver } = await train([hook('leaky', event, at(step, () => kept(count)))], { evalEvery: 2 });
    expect(error).toBeInstanceOf(PluginLeakError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'leaky', event, step, leaked: count });
    expect(leftOver).toBe(count);
    releaseLeaked();
  });

  it("in 'modelBuilt' and 'end' too; parameters added with addParam are not leaks", async () => {
    const adds = (dispose: boolean) =>
      hook('adder', 'modelBuilt', ({ model }) => {
        const zeros = tf.zeros([3]);
        model.addParam('adder.table', zeros, false);
        if (dispose) zeros.dispose();
      });
    const clean = await train([adds(true)]);
    expect(clean.error).toBeUndefined();
    const leak = await train([adds(false)]);
    expect(leak.error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'adder', event: 'modelBuilt', step: 0, leaked: 1 });
    const end = await train([hook('leaky', 'end', () => kept(3))]);
    expect(end.error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'leaky', event: 'end', step: 4, leaked: 3 });
    expect(clean.leftOver).toBe(0);
    releaseLeaked();
  });

  it('a projection that keeps a tensor is E_PLUGIN_LEAK', async () => {
    const { error } = await train([plugin('proj', { contributes: { regularizers: [{ name: 'keeper', project: (_m, step) => void (step === 2 && kept(1)) }] } })]);
    expect(error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'proj', event: "project 'keeper'", step: 2, leaked: 1 });
    releaseLeaked();
  });

  it("a tensor kept inside the tape ('afterForward') is a leak of the step", async () => {
    const { error } = await train([hook('tape-keeper', 'afterForward', at(1, () => void leaked.push(tf.keep(tf.scalar(1)))))]);
    expect(error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'tape-keeper', event: 'afterForward', step: 1, leaked: 1 });
    releaseLeaked();
  });

  it("tensors kept in 'beforeForward' and released later in the step, and tensors created inside the tape, are not leaks", async () => {
    let held: tf.Tensor[] = [];
    const balanced = plugin('balanced', {
      hooks: {
        beforeForward: ({ batch }) => void (held = [tf.keep(tf.clone(batch.inputs)), tf.keep(tf.scalar(1))]),
        afterForward: ({ loss }) => void tf.square(loss),
        afterBackward: ({ captures }) => {
          tf.dispose(held);
          tf.mean(captures[0]!.a);
        },
      },
    });
    const { error, leftOver } = await train([balanced]);
    expect(error).toBeUndefined();
    expect(leftOver).toBe(0);
  });

  it('state kept the first time a hook runs is allowed with a dispose step; accumulating is a leak even with one', async () => {
    const stateful = (accumulate: boolean): Plugin => {
      let table: tf.Tensor | undefined;
      let last: tf.Tensor[] = [];
      return plugin('stateful', {
        setup: (ctx) => ctx.onDispose(() => void tf.dispose([table!, ...last])),
        hooks: {
          modelBuilt: () => void (table = tf.keep(tf.zeros([4]))),
          afterStep: ({ model }) => {
            if (!accumulate) tf.dispose(last.splice(0));
            last.push(tf.keep(tf.clone(model.params.get('head.bias')!)));
          },
        },
      });
    };
    const replaced = await train([stateful(false)]);
    expect(replaced.error).toBeUndefined();
    expect(replaced.leftOver).toBe(0);
    const grows = await train([stateful(true)]);
    expect(grows.error).toMatchObject({ code: 'E_PLUGIN_LEAK', plugin: 'stateful', event: 'afterStep', step: 1, leaked: 1 });
    expect(grows.leftOver).toBe(0);
  });

  it('a plugin declaring keepTensors (a recorder) may keep copies past the event', async () => {
    const copies: tf.Tensor[] = [];
    const recorder = hook('recorder', 'afterStep', ({ model }) => void copies.push(tf.keep(tf.clone(model.params.get('head.weight')!))), { permissions: { keepTensors: true } as PluginPermissions });
    const { error } = await train([recorder]);
    expect(error).toBeUndefined();
    expect(copies).toHaveLength(4);
    tf.dispose(copies);
  });
});

describe.skipIf(!state.available)('plugin faults: ownership', () => {
  const bump = (model: EventPayloads['afterStep']['model'], name = 'head.weight') => {
    const v = model.params.get(name)!;
    tf.tidy(() => v.assign(tf.add(v, 1)));
  };

  it("assigning a parameter it did not add, without permission, is E_PLUGIN_OWNERSHIP naming the parameter", async () => {
    const { error } = await train([hook('writer', 'afterStep', ({ step, model }) => void (step === 1 && bump(model)))]);
    expect(error).toBeInstanceOf(PluginOwnershipError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'writer', event: 'afterStep', step: 1, tensor: "parameter 'head.weight'", action: 'assigned' });
    let model: EventPayloads['modelBuilt']['model'] | undefined;
    const early = await train([plugin('writer', { hooks: { modelBuilt: ({ model: m }) => void (model = m), beforeForward: () => bump(model!, 'blocks.0.ln.scale') } })]);
    expect(early.error).toMatchObject({ plugin: 'writer', event: 'beforeForward', step: 0, tensor: "parameter 'blocks.0.ln.scale'" });
  });

  it("writes are allowed in 'modelBuilt', to the plugin's own parameters, and with permissions.writeParams (SAM-like perturb and restore)", async () => {
    const owner = plugin('owner', {
      hooks: {
        modelBuilt: ({ model }) => {
          bump(model, 'blocks.0.ln.shift');
          const zeros = tf.zeros([2]);
          model.addParam('owner.state', zeros, false);
          zeros.dispose();
        },
        afterStep: ({ model }) => bump(model, 'owner.state'),
      },
    });
    let model: EventPayloads['modelBuilt']['model'] | undefined;
    let saved: tf.Tensor | undefined;
    const samLike = plugin('sam-like', {
      permissions: { writeParams: true },
      hooks: {
        modelBuilt: ({ model: m }) => void (model = m),
        beforeForward: () => {
          const w = model!.params.get('head.weight')!;
          saved = tf.keep(tf.clone(w));
          tf.tidy(() => w.assign(tf.add(w, 0.01)));
        },
        afterBackward: { order: 'pre', handler: () => { model!.params.get('head.weight')!.assign(saved!); saved!.dispose(); } },
      },
    });
    const { error } = await train([owner, samLike]);
    expect(error).toBeUndefined();
    const other = await train([owner, hook('intruder', 'afterStep', ({ model: m }) => bump(m, 'owner.state'))]);
    expect(other.error).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'intruder', tensor: "parameter 'owner.state'", action: 'assigned' });
  });

  it.each([
    ['beforeForward', 'batch.inputs', (p: EventPayloads['beforeForward']) => p.batch.inputs.dispose()],
    ['afterForward', 'capture a of MLP block 0', (p: EventPayloads['afterForward']) => p.captures[0]!.a.dispose()],
    ['afterBackward', "the gradient of 'head.weight'", (p: EventPayloads['afterBackward']) => p.grads.get('head.weight')!.dispose()],
    ['afterBackward', 'the loss', (p: EventPayloads['afterBackward']) => p.loss.dispose()],
    ['afterStep', "parameter 'head.bias'", (p: EventPayloads['afterStep']) => p.model.params.get('head.bias')!.dispose()],
  ] as [EventName, string, (p: never) => void][])("disposing a tensor it does not own in '%s' (%s) is E_PLUGIN_OWNERSHIP", async (event, tensor, dispose) => {
    const disposer = hook('disposer', event, (payload) => {
      if (payload.step === 1) dispose(payload as never);
    });
    const { error, leftOver } = await train([disposer]);
    expect(error).toBeInstanceOf(PluginOwnershipError);
    expect(error).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'disposer', event, step: 1, tensor, action: 'disposed' });
    expect(leftOver).toBeLessThanOrEqual(0);
  });

  it('a projection may write parameters but not dispose one', async () => {
    const writes = await train([plugin('proj', { contributes: { regularizers: [{ name: 'w', project: (m) => m.params.get('head.weight')!.assign(tf.mul(m.params.get('head.weight')!, 0.5)) }] } })]);
    expect(writes.error).toBeUndefined();
    const disposes = await train([plugin('proj', { contributes: { regularizers: [{ name: 'd', project: (m, step) => void (step === 1 && m.params.get('head.weight')!.dispose()) }] } })]);
    expect(disposes.error).toMatchObject({ code: 'E_PLUGIN_OWNERSHIP', plugin: 'proj', event: "project 'd'", step: 1, action: 'disposed' });
  });
});

describe.skipIf(!state.available)("plugin faults: the 'disable' policy for metrics and resuming after a fault", () => {
  it("'disable' drops a metric with a NaN figure (and one that throws) and the run completes with warnings", async () => {
    const nan: SparsityMetric = { name: 'nan', compute: () => ({ value: tf.scalar(Number.NaN) }) };
    const thrower: SparsityMetric = { name: 'thrower', needsGradients: true, compute: () => { throw new Error('no'); } };
    const good: SparsityMetric = { name: 'good', compute: (c) => ({ value: tf.mean(c.a) as tf.Scalar }) };
    const { error, records, warnings, ends } = await train([plugin('metrics', { contributes: { metrics: [nan, thrower, good] } })], {
      steps: 6,
      evalEvery: 3,
      faults: { metrics: 'disable' },
      metrics: [
        { name: 'nan', metric: nan },
        { name: 'thrower', metric: thrower },
        { name: 'good', metric: good },
      ],
    });
    expect(error).toBeUndefined();
    expect(ends[0]).toMatchObject({ reason: 'completed', step: 6 });
    expect(warnings.map((w) => [w.code, w.plugin, w.event, w.step, w.action])).toEqual([
      ['E_PLUGIN_HOOK', 'metrics', 'metric compute', 1, "metric 'thrower' disabled for the rest of the run"],
      ['E_PLUGIN_NON_FINITE', 'metrics', 'metric compute', 1, "metric 'nan' disabled for the rest of the run"],
    ]);
    expect(records.length).toBeGreaterThan(3);
    for (const r of records) expect(Object.keys(r.figures)).toEqual(['good.value']);
    const { model, dataset } = tinySetup();
    const host = await PluginHost.create([]);
    expect(() => new Trainer({ model, dataset, host, steps: 2, batchSize: 8, lr: 0.01, faults: { metrics: 'ignore' as never } })).toThrow(/trainer\.faults\.metrics/);
    model.dispose();
    await host.dispose();
  });

  it('checkpoints written before a fault stay and the run resumes from them to the same result as an uninterrupted run', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'flatsparse-faults-'));
    dirs.push(runDir);
    let broken = true;
    const flaky = hook('flaky', 'afterStep', ({ step }) => {
      if (broken && step === 4) throw new Error('flaky at 4');
    });
    const first = await train([flaky], { steps: 6, checkpointEvery: 2, runDir });
    expect(first.error).toMatchObject({ plugin: 'flaky', event: 'afterStep', step: 4 });
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual(['latest', 'step-00000002', 'step-00000004']);

    broken = false;
    const params = async (resumeFrom?: string): Promise<number[][]> => {
      const { model, dataset } = tinySetup();
      const host = await PluginHost.create([flaky]);
      await new Trainer({ model, dataset, host, steps: 6, batchSize: 8, lr: 0.01, logEvery: 2, ...(resumeFrom ? { resumeFrom } : {}) }).run();
      const out = [...model.params.values()].map((v) => Array.from(v.dataSync()));
      model.dispose();
      await host.dispose();
      return out;
    };
    expect(await params(runDir)).toEqual(await params());
  });
});
