import * as tf from '@tensorflow/tfjs-core';
import type { ActivationFunction } from '../activation-function.js';
import type { FlatnessEstimator } from '../flatness-estimator.js';
import type { MlpCapture } from '../mlp-capture.js';
import { PluginHost } from '../plugin-host.js';
import type { Plugin } from '../plugin.js';
import type { Regularizer } from '../regularizer.js';
import type { SparsityMetric } from '../sparsity-metric.js';
import type { GradientMap, UpdateMethod } from '../update-method.js';
import { countTensors } from '../tensor-leaks.js';
import { fakeCaptures, reluForTests } from './fixtures.js';
import { payloadFixtures } from './plugin-harness.js';
import type { PluginConformanceOptions } from './plugin-types.js';

type Outcome = { passed: boolean; detail: string };

function outcome(problems: string[], notes: string[], leaked: number, what: string): Outcome {
  if (leaked > 0) problems.push(`${what} leaked ${leaked} tensor(s)`);
  return { passed: problems.length === 0, detail: (problems.length ? problems : notes).join('; ') };
}

/** Reads a record of tensors, checking that each is a finite scalar; disposes them. */
async function readScalars(values: Readonly<Record<string, tf.Tensor>>, where: string, problems: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(values)) {
    if (!(t instanceof tf.Tensor)) {
      problems.push(`${where}: '${name}' is not a tensor`);
      continue;
    }
    if (t.rank !== 0) problems.push(`${where}: '${name}' has shape [${t.shape.join(', ')}], expected a scalar`);
    const v = (await t.data())[0]!;
    if (!Number.isFinite(v)) problems.push(`${where}: '${name}' is ${v}`);
    out[name] = v;
    t.dispose();
  }
  return out;
}

type Fixtures = ReturnType<typeof payloadFixtures>;

/**
 * Runs `body` with a host of the plugin (and its companions) whose 'modelBuilt' hooks ran on a fake
 * model, then releases the host and the fixtures.
 */
async function withBoundHost(factory: () => Plugin, options: PluginConformanceOptions, body: (host: PluginHost, fx: Fixtures) => Promise<void>): Promise<void> {
  const fx = payloadFixtures(options.model);
  try {
    const host = await PluginHost.create([factory(), ...(options.companions?.() ?? [])]);
    try {
      await host.emit('modelBuilt', fx.payload('modelBuilt', 0));
      await body(host, fx);
    } finally {
      await host.dispose();
    }
  } finally {
    fx.dispose();
  }
}

/**
 * A metric, after the plugin's (and its companions') modelBuilt hooks ran on a fake model (a metric
 * may read the model's parameters, as the LayerNorm-scale and zeroth-bias diagnostics do): it returns
 * finite scalar tensors for every block of synthetic captures of that model (with gradients, and
 * without them unless it needs them), with ReLU and with each activation of the same plugin, leaking nothing.
 */
export async function checkMetric(name: string, factory: () => Plugin, activations: readonly ActivationFunction[], options: PluginConformanceOptions = {}): Promise<Outcome> {
  const before = countTensors();
  const problems: string[] = [];
  const notes: string[] = [];
  await withBoundHost(factory, options, async (host, fx) => {
    const metric: SparsityMetric = host.contributions.metrics.get(name).value;
    for (const activation of [reluForTests, ...activations]) {
      const captures = fakeCaptures({ activation, model: fx.model });
      try {
        const sets: [string, readonly MlpCapture[]][] = [['with gradients', captures.captures]];
        if (!metric.needsGradients) sets.push(['forward only', captures.forwardCaptures]);
        for (const [label, list] of sets) {
          for (const capture of list) {
            const where = `${activation.name}, ${label}, block ${capture.block.index}`;
            const values = await readScalars(tf.tidy(() => metric.compute(capture)), where, problems);
            if (Object.keys(values).length === 0) problems.push(`${where}: compute returned no figures`);
            if (capture.block.index === 0 && label === 'with gradients') notes.push(`${where}: ${Object.entries(values).map(([k, v]) => `${k}=${v.toPrecision(4)}`).join(', ')}`);
          }
        }
      } finally {
        captures.dispose();
      }
    }
  });
  return outcome(problems, notes, countTensors() - before, 'compute');
}

/**
 * A regularizer, after the plugin's modelBuilt hooks ran on a fake model: `lossTerm` returns a finite
 * scalar, `project` (inside tf.tidy, as the host calls it) leaves no tensors and keeps every parameter's
 * shape and finiteness; after disposal the tensor count is back at its baseline.
 */
export async function checkRegularizer(name: string, factory: () => Plugin, options: PluginConformanceOptions): Promise<Outcome> {
  const before = countTensors();
  const problems: string[] = [];
  const notes: string[] = [];
  await withBoundHost(factory, options, async (host, fx) => {
    const reg: Regularizer = host.contributions.regularizers.get(name).value;
    if (reg.lossTerm) {
      const values = await readScalars({ lossTerm: tf.tidy(() => reg.lossTerm!({ step: 1, model: fx.model, captures: fx.captures.forwardCaptures })) }, 'lossTerm', problems);
      notes.push(`lossTerm = ${values.lossTerm}`);
    }
    if (reg.project) {
      const shapes = new Map([...fx.model.params].map(([k, v]) => [k, v.shape.join(',')]));
      const count = countTensors();
      tf.tidy(() => reg.project!(fx.model, 1));
      if (countTensors() !== count) problems.push(`project left ${countTensors() - count} tensor(s)`);
      for (const [k, v] of fx.model.params) {
        if (shapes.has(k) && v.shape.join(',') !== shapes.get(k)) problems.push(`project changed the shape of '${k}'`);
        const allFinite = tf.tidy(() => tf.all(tf.isFinite(v)));
        const finite = (await allFinite.data())[0] === 1;
        allFinite.dispose();
        if (!finite) problems.push(`project made '${k}' non-finite`);
      }
      notes.push('project kept shapes and finiteness');
    }
  });
  return outcome(problems, notes, countTensors() - before, 'the regularizer');
}

/**
 * The two parameters of the checks' quadratic loss 3 ||a||^2 + ||b||^2 (created inside tidy, so that
 * only the two variables outlive their initial values); the caller disposes them.
 */
function quadraticParams(): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([
    ['a', tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1, 2])))],
    ['b', tf.tidy(() => tf.variable(tf.tensor2d([[1, 0.5], [-0.3, 0.8]])))],
  ]);
}

/**
 * An estimator on a small quadratic loss over two parameters: finite figures, cost counted, every
 * parameter left exactly as it was, no tensors left behind.
 */
export async function checkEstimator(estimator: FlatnessEstimator): Promise<Outcome> {
  const before = countTensors();
  const problems: string[] = [];
  const params = quadraticParams();
  try {
    const snapshot = await Promise.all([...params.values()].map((v) => v.data()));
    const loss = (): tf.Scalar => tf.tidy(() => tf.add(tf.sum(tf.mul(tf.square(params.get('a')!), 3)), tf.sum(tf.square(params.get('b')!))) as tf.Scalar);
    const estimate = await estimator.estimate({ loss, params, seed: 3 });
    for (const [k, v] of Object.entries(estimate.figures)) if (!Number.isFinite(v)) problems.push(`figure '${k}' is ${v}`);
    if (Object.keys(estimate.figures).length === 0) problems.push('no figures');
    const after = await Promise.all([...params.values()].map((v) => v.data()));
    if (after.some((data, i) => data.some((x, j) => x !== snapshot[i]![j]))) problems.push('parameters changed');
    const leaked = countTensors() - before - 2;
    return outcome(problems, [`figures ${JSON.stringify(estimate.figures)}`], leaked, 'estimate');
  } finally {
    for (const v of params.values()) v.dispose();
  }
}

/**
 * An update method on a small quadratic loss over two parameters, L(w) = 3 ||a||^2 + ||b||^2 (the
 * gradients of both passes computed at w + offsets, as the trainer does): over three steps it calls
 * the observed pass exactly once per step, asks only for offsets of known parameters with their shapes,
 * returns finite gradients of the parameters' shapes for known names only, leaves every parameter as
 * it was, and leaves no tensors behind.
 */
export async function checkUpdateMethod(method: UpdateMethod): Promise<Outcome> {
  const before = countTensors();
  const problems: string[] = [];
  const notes: string[] = [];
  const params = quadraticParams();
  try {
    const snapshot = await Promise.all([...params.values()].map((v) => v.data()));
    for (let step = 0; step < 3; step++) {
      let observed = 0;
      let silent = 0;
      const pass = (offsets: GradientMap | undefined): GradientMap => {
        for (const [name, offset] of offsets ?? []) {
          const p = params.get(name);
          if (p === undefined) problems.push(`step ${step}: an offset for unknown parameter '${name}'`);
          else if (offset.shape.join(',') !== p.shape.join(',')) problems.push(`step ${step}: offset of '${name}' has shape [${offset.shape}], the parameter [${p.shape}]`);
        }
        const at = (name: string) => {
          const offset = offsets?.get(name);
          const p = params.get(name)!;
          return offset !== undefined && offset.shape.join(',') === p.shape.join(',') ? tf.add(p, offset) : p;
        };
        return new Map([
          ['a', tf.mul(at('a'), 6)],
          ['b', tf.mul(at('b'), 2)],
        ]);
      };
      const grads = tf.tidy(() => {
        const out = method.gradients({
          step,
          batch: { inputs: tf.zeros([1]), targets: tf.zeros([1]) },
          params,
          gradient: (offsets) => (silent++, pass(offsets)),
          observedGradient: (offsets) => (observed++, pass(offsets)),
        });
        return [...out].map(([name, g]) => {
          if (!params.has(name)) problems.push(`step ${step}: a gradient for unknown parameter '${name}'`);
          else if (g.shape.join(',') !== params.get(name)!.shape.join(',')) problems.push(`step ${step}: the gradient of '${name}' has shape [${g.shape}]`);
          return tf.all(tf.isFinite(g));
        });
      });
      const finite = await Promise.all(grads.map(async (t) => (await t.data())[0] === 1));
      tf.dispose(grads);
      if (finite.some((ok) => !ok)) problems.push(`step ${step}: a gradient is not finite`);
      if (observed !== 1) problems.push(`step ${step}: observedGradient() called ${observed} times (exactly once expected)`);
      notes.push(`step ${step}: ${silent} silent pass(es)`);
    }
    const after = await Promise.all([...params.values()].map((v) => v.data()));
    if (after.some((data, i) => data.some((x, j) => x !== snapshot[i]![j]))) problems.push('parameters changed (the trainer moves them; a method never writes them)');
    return outcome(problems, notes, countTensors() - before - 2, 'gradients');
  } finally {
    for (const v of params.values()) v.dispose();
  }
}
