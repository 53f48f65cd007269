import { parseOptions, type Batch, type ModelView, type Plugin, type PluginContext, type TrainableModel } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BUILTIN_API_RANGE, BUILTIN_PLUGIN_VERSION } from '../plugin-meta.js';

/** Options of SAM / ASAM. */
export interface SamOptions {
  /** Radius of the ascent step (default 0.05, as in Foret et al.; ASAM usually needs a larger one, such as 0.5 to 2). */
  readonly rho?: number;
  /** ASAM (Kwon et al. 2021): the ball is measured in the scale T_w = |w| + eta (default false: SAM). */
  readonly adaptive?: boolean;
  /** ASAM's eta in T_w = |w| + eta (default 0.01; ignored without `adaptive`). */
  readonly eta?: number;
  /** Perturb at steps where step % every === 0 (default 1: every step); other steps are plain steps. */
  readonly every?: number;
  /** Regular expression (source text): only trainable parameters whose name matches are perturbed (default: all). */
  readonly params?: string;
  /** Label smoothing of the ascent's loss; set it to the trainer's `labelSmoothing` (default 0). */
  readonly labelSmoothing?: number;
}

/** What `samPerturbation` needs: the radius and, for ASAM, eta. */
export interface SamPerturbationOptions {
  /** Radius rho (> 0). */
  readonly rho: number;
  /** ASAM instead of SAM. */
  readonly adaptive: boolean;
  /** ASAM's eta in T_w = |w| + eta. */
  readonly eta: number;
}

const PLUGIN = 'sam';
const isRegExpSource = (source: string): boolean => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};
const schema = z.strictObject({
  rho: z.number().positive().finite().default(0.05),
  adaptive: z.boolean().default(false),
  eta: z.number().nonnegative().finite().default(0.01),
  every: z.number().int().positive().default(1),
  params: z.string().refine(isRegExpSource, { message: 'must be a valid regular expression' }).optional(),
  labelSmoothing: z.number().min(0).lt(1).default(0),
});

/**
 * The ascent step e of SAM or ASAM for weights w with gradients g (same order and shapes), on the
 * device: SAM e = rho g / ||g||, ASAM e = rho T^2 g / ||T g|| with T = |w| + eta elementwise, the
 * norm taken over all tensors together. Where the norm is zero or not finite, every e is zero (no
 * step rather than NaN). Returns new tensors; the caller disposes them.
 */
export function samPerturbation(weights: readonly tf.Tensor[], grads: readonly tf.Tensor[], options: SamPerturbationOptions): tf.Tensor[] {
  if (weights.length === 0) return [];
  return tf.tidy(() => {
    const scales = options.adaptive ? weights.map((w) => tf.add(tf.abs(w), options.eta)) : undefined;
    const scaled = grads.map((g, i) => (scales ? tf.mul(scales[i]!, g) : g));
    const norm = tf.sqrt(tf.addN(scaled.map((s) => tf.sum(tf.square(s)))));
    const ok = tf.logicalAnd(tf.isFinite(norm), tf.greater(norm, 0));
    const factor = tf.div(options.rho, norm);
    return scaled.map((s, i) => {
      const direction = scales ? tf.mul(scales[i]!, s) : s;
      return tf.where(ok, tf.mul(direction, factor), tf.zerosLike(direction));
    });
  });
}

/** A parameter moved to the ascent point and the exact value to put back. */
interface Saved {
  readonly variable: tf.Variable;
  readonly value: tf.Tensor;
}

function isTrainable(model: ModelView): model is TrainableModel {
  const m = model as Partial<TrainableModel>;
  return typeof m.forward === 'function' && typeof m.loss === 'function';
}

/**
 * Gradient of the data loss at w on the batch, then w <- w + e for every variable. Returns the
 * exact values of w (kept; the caller restores and disposes them).
 */
function ascend(model: TrainableModel, variables: readonly tf.Variable[], batch: Batch, step: number, o: SamPerturbationOptions & { labelSmoothing: number }): Saved[] {
  return tf.tidy(() => {
    const { grads } = tf.engine().gradients(
      () => model.loss(model.forward(batch.inputs, { training: true, step }).output, batch.targets, o.labelSmoothing),
      [...variables],
      undefined,
      true,
    ) as { grads: (tf.Tensor | undefined | null)[] };
    const e = samPerturbation(
      variables,
      variables.map((v, i) => grads[i] ?? tf.zerosLike(v)),
      o,
    );
    return variables.map((variable, i) => {
      const value = tf.keep(tf.clone(variable));
      variable.assign(tf.add(variable, e[i]!));
      return { variable, value };
    });
  });
}

/**
 * Plugin 'sam': sharpness-aware minimisation (Foret et al. 2021) or, with `adaptive`, ASAM (Kwon et
 * al. 2021). At steps where step % every === 0, 'beforeForward' computes the gradient g of the data
 * loss at w on the step's batch (one extra forward/backward pass), saves w and moves the selected
 * trainable parameters to w + e (see `samPerturbation`); the trainer's own pass then gives the
 * gradient at w + e, and 'afterBackward' (order 'pre') puts w back bit-exactly before the optimiser
 * applies that gradient to w. Needs the trainer's TrainableModel (checked in 'modelBuilt'); declares
 * `permissions.writeParams`. Parameters added by other plugins in 'modelBuilt' are included.
 */
export function sam(options: SamOptions = {}): Plugin {
  const o = parseOptions(schema, options, { plugin: PLUGIN });
  const select = o.params === undefined ? undefined : new RegExp(o.params);
  let model: TrainableModel | undefined;
  let saved: Saved[] | undefined;
  const restore = (): void => {
    if (saved === undefined) return;
    for (const { variable, value } of saved) {
      variable.assign(value);
      value.dispose();
    }
    saved = undefined;
  };
  const selected = (step: number, ctx: PluginContext): tf.Variable[] => {
    const variables = [...model!.params].filter(([name, v]) => v.trainable && (select?.test(name) ?? true)).map(([, v]) => v);
    if (variables.length === 0) {
      throw ctx.error(`option 'params' (/${o.params ?? ''}/) matches no trainable parameter.`, {
        event: 'beforeForward',
        step,
        fix: `change 'params' to match some of: ${[...model!.params].filter(([, v]) => v.trainable).map(([name]) => name).join(', ')}.`,
      });
    }
    return variables;
  };
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    permissions: { writeParams: true },
    hooks: {
      modelBuilt: ({ model: view }, ctx) => {
        if (!isTrainable(view)) {
          throw ctx.error(`needs a trainable model with forward() and loss() to compute its ascent step, but the '${view.kind}' model passed in 'modelBuilt' has ${typeof (view as Partial<TrainableModel>).forward === 'function' ? 'no loss()' : 'no forward()'}.`, {
            event: 'modelBuilt',
            fix: "use 'sam' in a training run (Trainer or runPipeline), which passes its TrainableModel; remove it from pipelines that do not train.",
          });
        }
        model = view;
      },
      beforeForward: ({ step, batch, training }, ctx) => {
        if (!training || step % o.every !== 0) return;
        if (model === undefined) {
          throw ctx.error("no model: 'modelBuilt' was not emitted before the first step.", { event: 'beforeForward', step, fix: "emit 'modelBuilt' with the TrainableModel before training." });
        }
        if (saved !== undefined) {
          throw ctx.error("the previous step's ascent was never undone: 'afterBackward' did not follow 'beforeForward'.", {
            event: 'beforeForward',
            step,
            fix: "emit 'afterBackward' after every training 'beforeForward' (the Trainer does).",
          });
        }
        saved = ascend(model, selected(step, ctx), batch, step, o);
      },
      afterBackward: { order: 'pre', handler: restore },
      // A step that failed between the two hooks: leave the model at w and free the copies.
      end: restore,
    },
  };
}
