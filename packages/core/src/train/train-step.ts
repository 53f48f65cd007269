import * as tf from '@tensorflow/tfjs-core';
import type { TensorBatch, MlpCapture, MlpProbes, TrainableModel } from '@flatsparse/plugin-api';
import type { PluginHost } from '@flatsparse/plugin-api/host';
import type { AdamW } from './adamw.js';
import { clipScale } from './clip-grad.js';
import { computeFigures, type NamedMetric } from './metric-figures.js';
import { zeroProbe } from '../models/probe.js';
import type { NonFiniteGuard } from './non-finite-guard.js';

/** What one training step works with. */
export interface StepContext {
  readonly model: TrainableModel;
  readonly host: PluginHost;
  readonly optimizer: AdamW;
  readonly guard: NonFiniteGuard;
  readonly metrics: readonly NamedMetric[];
  readonly labelSmoothing: number;
  readonly clipNorm?: number;
  /** Receives a metric that throws at `step`; returning drops it from the step (default: the error propagates). */
  readonly onMetricError?: (metric: NamedMetric, step: number, error: unknown) => void;
}

/** Device tensors measured at a logging step; the caller reads them back and disposes them. */
export interface StepMeasures {
  /** The model loss of the batch (with label smoothing). */
  readonly loss: tf.Scalar;
  /** Each weighted loss term. */
  readonly lossTerms: Record<string, tf.Scalar>;
  /** `${metric}.${figure}` -> [layers]. */
  readonly figures: Record<string, tf.Tensor1D>;
}

/**
 * One optimisation step, entirely on the device (no read-back): zero probes from `model.probeShapes`;
 * value and gradients of loss + loss terms with respect to the trainable parameters and the probes
 * (one backward pass; 'afterForward' is emitted inside the tape); captures completed with dp/da/dz from
 * the probe gradients; 'afterBackward'; metric figures (only when `measure`); clipping by global norm;
 * the non-finite gate (which also records the weighted loss terms of the first bad step); the AdamW update. Projections and 'afterStep' are the caller's (outside the tidy).
 */
export function trainStep(ctx: StepContext, step: number, batch: TensorBatch, lr: number, measure: boolean): StepMeasures | undefined {
  const { model, host } = ctx;
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    const copy = tf.keep(tf.clone(t));
    kept.push(copy);
    return copy;
  };
  try {
    return tf.tidy(() => {
      // Tensors with a larger id than this marker were created by this step's forward pass: those are
      // kept past the gradient tape's tidy as they are (a copy of every capture costs tens of ms per
      // step); anything older (a variable, the batch) is copied, since it is disposed with `kept`.
      const firstId = tf.scalar(0).id;
      const keepCapture = <T extends tf.Tensor>(t: T): T => {
        if (t.id <= firstId) return keep(t);
        kept.push(tf.keep(t));
        return t;
      };
      const probes: MlpProbes[] = zeroProbes(model.probeShapes(batch.inputs));
      const trainable = [...model.params].filter(([, v]) => v.trainable);
      const xs: tf.Tensor[] = [...trainable.map(([, v]) => v), ...probes.flatMap((p) => [p.p, p.a, p.z])];
      let dataLoss: tf.Scalar | undefined;
      let terms: Record<string, tf.Scalar> = {};
      let captures: MlpCapture[] = [];
      const { value, grads } = withTapeReleased(() =>
        tf.engine().gradients(
          () => {
            const forward = model.forward(batch.inputs, { training: true, step, probes });
            const loss = model.loss(forward.output, batch.targets, ctx.labelSmoothing);
            const extra = host.computeLossTerms({ step, model, captures: forward.captures });
            const total = extra === undefined ? loss : (tf.add(loss, extra.total) as tf.Scalar);
            host.emitSync('afterForward', { step, loss: total, captures: forward.captures, training: true });
            dataLoss = keep(loss);
            terms = Object.fromEntries(Object.entries(extra?.terms ?? {}).map(([name, t]) => [name, keep(t)]));
            captures = forward.captures.map((c) => ({ ...c, x: keepCapture(c.x), p: keepCapture(c.p), a: keepCapture(c.a), z: keepCapture(c.z) }));
            return total;
          },
          xs,
          undefined,
          true,
        ),
      ) as { value: tf.Scalar; grads: (tf.Tensor | undefined)[] };

      const paramGrads = new Map<string, tf.Tensor>();
      trainable.forEach(([name], i) => {
        const g = grads[i];
        if (g !== undefined && g !== null) paramGrads.set(name, g);
      });
      const probeGrad = (i: number, like: tf.Tensor): tf.Tensor => grads[trainable.length + i] ?? tf.zerosLike(like);
      const full: MlpCapture[] = captures.map((c, b) => ({ ...c, dp: probeGrad(3 * b, c.p), da: probeGrad(3 * b + 1, c.a), dz: probeGrad(3 * b + 2, c.z) }));
      host.emitSync('afterBackward', { step, loss: value, grads: paramGrads, captures: full });

      const onMetricError = ctx.onMetricError;
      const figures = measure ? computeFigures(ctx.metrics, full, onMetricError && ((metric, error) => onMetricError(metric, step, error))) : {};
      // Clipping by the global norm: the factor goes into the optimiser's update (no scaled copy of every gradient).
      const clip = clipScale(paramGrads, ctx.clipNorm);
      const gate = ctx.guard.update(step, value, clip.norm, terms);
      ctx.optimizer.update(model.params, paramGrads, lr, { gate, overrides: (name) => model.paramOptions(name), gradScale: clip.scale });
      if (!measure) return undefined;
      const lossTerms = Object.fromEntries(Object.entries(terms).map(([name, t]) => [name, tf.clone(t)]));
      return { loss: tf.clone(dataLoss!), lossTerms, figures };
    });
  } finally {
    for (const t of kept) t.dispose();
  }
}

/**
 * The zero probes of every block: one zero tensor per distinct shape, each probe its own tensor
 * (its own gradient) sharing that data, instead of one filled tensor per probe.
 */
function zeroProbes(shapes: readonly { p: number[]; a: number[]; z: number[] }[]): MlpProbes[] {
  const zeros = new Map<string, tf.Tensor>();
  const zero = (shape: number[]): tf.Tensor => {
    const key = shape.join('x');
    let z = zeros.get(key);
    if (z === undefined) {
      z = tf.zeros(shape);
      zeros.set(key, z);
    }
    return zeroProbe(shape, z);
  };
  return shapes.map((s) => ({ p: zero(s.p), a: zero(s.a), z: zero(s.z) }));
}

/**
 * Runs a gradient computation and, when it throws (a plugin failing inside the tape), frees what
 * tfjs keeps on the tape for the backward pass: the inputs its kernels saved are kept tensors,
 * released only by a completed backward pass, so a failed one would otherwise leak them.
 */
function withTapeReleased<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const state = tf.engine().state;
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) tf.dispose(node.saved ?? []);
      state.activeTape = [];
    }
    throw err;
  }
}

/** Disposes the tensors of a step's measures. */
export function disposeMeasures(measures: StepMeasures | undefined): void {
  if (measures === undefined) return;
  measures.loss.dispose();
  for (const t of Object.values(measures.lossTerms)) t.dispose();
  for (const t of Object.values(measures.figures)) t.dispose();
}
