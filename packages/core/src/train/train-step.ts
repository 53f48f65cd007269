import * as tf from '@tensorflow/tfjs-core';
import type { GradientMap, TensorBatch, MlpCapture, MlpProbes, TrainableModel, UpdateMethod } from '@flatsparse/plugin-api';
import { PluginError, type PluginHost } from '@flatsparse/plugin-api/host';
import type { AdamW } from './adamw.js';
import { clipScale } from './clip-grad.js';
import { computeFigures, type NamedMetric } from './metric-figures.js';
import { zeroProbe } from '../models/probe.js';
import { withTapeRelease } from '../tape-release.js';
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
  /** The run's update method (PluginHost.updateMethod()); without one the observed gradient is applied. */
  readonly update?: UpdateMethod & { readonly plugin: string; readonly event: string };
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
 * One optimisation step, entirely on the device (no read-back). The step's gradient comes from the
 * run's update method (`ctx.update`, for example SAM), or, without one, from the observed pass:
 *
 * - the observed pass (exactly once per step): zero probes from `model.probeShapes`; value and
 *   gradients of loss + loss terms with respect to the trainable parameters and the probes (one
 *   backward pass; 'afterForward' is emitted inside the tape); captures completed with dp/da/dz from
 *   the probe gradients; 'afterBackward' with its gradients; metric figures (only when `measure`);
 * - silent passes (an update method's `gradient()`): the same loss and gradients with respect to the
 *   parameters only, nothing emitted or measured;
 * - both at w + offsets when a method asks for it, with every parameter put back bit-exactly after the pass;
 *
 * then clipping by global norm, the non-finite gate (which also records the weighted loss terms of the
 * first bad step) and the AdamW update. Projections and 'afterStep' are the caller's (outside the
 * tidy). The order of events is EVENTS in @flatsparse/plugin-api.
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
      const trainable = [...model.params].filter(([, v]) => v.trainable);
      const params: ReadonlyMap<string, tf.Variable> = new Map(trainable);
      /** Runs `pass` with the named parameters at w + offset, then puts back their exact values. */
      const atOffsets = <T>(offsets: GradientMap | undefined, pass: () => T): T => {
        if (offsets === undefined || offsets.size === 0) return pass();
        const saved: { variable: tf.Variable; value: tf.Tensor }[] = [];
        try {
          for (const [name, offset] of offsets) {
            const variable = params.get(name);
            if (variable === undefined) throw new Error(`offset for '${name}', which is not a trainable parameter (trainable: ${[...params.keys()].join(', ')}).`);
            if (offset.shape.join(',') !== variable.shape.join(',')) throw new Error(`offset for '${name}' has shape [${offset.shape}], the parameter [${variable.shape}].`);
            const value = tf.clone(variable);
            saved.push({ variable, value });
            variable.assign(tf.add(variable, offset));
          }
          return pass();
        } finally {
          for (const { variable, value } of saved) variable.assign(value);
        }
      };
      const byName = (grads: readonly (tf.Tensor | undefined | null)[]): Map<string, tf.Tensor> => {
        const out = new Map<string, tf.Tensor>();
        trainable.forEach(([name], i) => {
          const g = grads[i];
          if (g !== undefined && g !== null) out.set(name, g);
        });
        return out;
      };
      // A silent pass's forward activations are released as soon as its gradients exist (its own tidy).
      const silent = (offsets?: GradientMap): GradientMap =>
        atOffsets(offsets, () => {
          const grads = tf.tidy(() => {
            const { grads: g } = withTapeRelease(() =>
              tf.engine().gradients(
                () => {
                  const forward = model.forward(batch.inputs, { training: true, step });
                  const loss = model.loss(forward.output, batch.targets, ctx.labelSmoothing);
                  const extra = host.computeLossTerms({ step, model, captures: forward.captures });
                  return extra === undefined ? loss : (tf.add(loss, extra.total) as tf.Scalar);
                },
                trainable.map(([, v]) => v),
                undefined,
                true,
              ),
            ) as { grads: (tf.Tensor | undefined)[] };
            return trainable.map(([, v], i) => g[i] ?? tf.zerosLike(v));
          });
          return byName(grads);
        });

      // What the observed pass leaves for the rest of the step.
      let observed: { value: tf.Scalar; dataLoss: tf.Scalar; terms: Record<string, tf.Scalar>; captures: MlpCapture[]; grads: Map<string, tf.Tensor> } | undefined;
      const observedPass = (offsets?: GradientMap): GradientMap => {
        if (observed !== undefined) throw new Error('observedGradient() was called twice in one step: the observed pass (probes, events, metrics) runs exactly once.');
        const result = atOffsets(offsets, () => {
          // Tensors with a larger id than this marker were created by this pass: those are kept past the
          // gradient tape's tidy as they are (a copy of every capture costs tens of ms per step);
          // anything older (a variable, the batch) is copied, since it is disposed with `kept`.
          const firstId = tf.scalar(0).id;
          const keepCapture = <T extends tf.Tensor>(t: T): T => {
            if (t.id <= firstId) return keep(t);
            kept.push(tf.keep(t));
            return t;
          };
          const probes: MlpProbes[] = zeroProbes(model.probeShapes(batch.inputs));
          const xs: tf.Tensor[] = [...trainable.map(([, v]) => v), ...probes.flatMap((p) => [p.p, p.a, p.z])];
          let dataLoss: tf.Scalar | undefined;
          let terms: Record<string, tf.Scalar> = {};
          let captures: MlpCapture[] = [];
          const { value, grads } = withTapeRelease(() =>
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
          const probeGrad = (i: number, like: tf.Tensor): tf.Tensor => grads[trainable.length + i] ?? tf.zerosLike(like);
          const full: MlpCapture[] = captures.map((c, b) => ({ ...c, dp: probeGrad(3 * b, c.p), da: probeGrad(3 * b + 1, c.a), dz: probeGrad(3 * b + 2, c.z) }));
          return { value, dataLoss: dataLoss!, terms, captures: full, grads: byName(grads.slice(0, trainable.length)) };
        });
        observed = result;
        // After the parameters are back at w.
        host.emitSync('afterBackward', { step, loss: result.value, grads: result.grads, captures: result.captures });
        return result.grads;
      };

      const paramGrads = ctx.update === undefined ? observedPass() : ctx.update.gradients({ step, batch, params, gradient: silent, observedGradient: observedPass });
      if (observed === undefined) {
        const cause = new Error(`the update method '${ctx.update?.name}' returned without calling observedGradient(): every step needs its one observed pass (loss, events, metrics).`);
        throw new PluginError(ctx.update!.plugin, ctx.update!.event, step, cause, 'call input.observedGradient(offsets?) exactly once in gradients().');
      }
      const { value, dataLoss, terms, captures } = observed;

      const onMetricError = ctx.onMetricError;
      const figures = measure ? computeFigures(ctx.metrics, captures, onMetricError && ((metric, error) => onMetricError(metric, step, error))) : {};
      // Clipping by the global norm: the factor goes into the optimiser's update (no scaled copy of every gradient).
      const clip = clipScale(paramGrads, ctx.clipNorm);
      const gate = ctx.guard.update(step, value, clip.norm, terms);
      ctx.optimizer.update(model.params, paramGrads, lr, { gate, overrides: (name) => model.paramOptions(name), gradScale: clip.scale });
      if (!measure) return undefined;
      const lossTerms = Object.fromEntries(Object.entries(terms).map(([name, t]) => [name, tf.clone(t)]));
      return { loss: tf.clone(dataLoss), lossTerms, figures };
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


/** Disposes the tensors of a step's measures. */
export function disposeMeasures(measures: StepMeasures | undefined): void {
  if (measures === undefined) return;
  measures.loss.dispose();
  for (const t of Object.values(measures.lossTerms)) t.dispose();
  for (const t of Object.values(measures.figures)) t.dispose();
}
