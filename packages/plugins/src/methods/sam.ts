import { isRegExpSource, parseOptions, type Plugin, type UpdateInput, type UpdateMethod } from '@flatsparse/plugin-api';
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
const schema = z.strictObject({
  rho: z.number().positive().finite().default(0.05),
  adaptive: z.boolean().default(false),
  eta: z.number().nonnegative().finite().default(0.01),
  every: z.number().int().positive().default(1),
  params: z.string().refine(isRegExpSource, { message: 'must be a valid regular expression' }).optional(),
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

/**
 * Plugin 'sam': sharpness-aware minimisation (Foret et al. 2021) or, with `adaptive`, ASAM (Kwon et
 * al. 2021), as an update method. At steps where step % every === 0 it takes the gradient g of the
 * training loss at w (a silent pass: the trainer's label smoothing and every regularizer's loss term
 * included), the ascent step e (see `samPerturbation`) on the selected trainable parameters, and
 * applies the gradient of the step's observed pass at w + e; the trainer moves the parameters and
 * puts them back, so the plugin never writes one. Other steps apply the observed gradient at w.
 * 'modelBuilt' checks that `params` selects some trainable parameter, before training starts.
 */
export function sam(options: SamOptions = {}): Plugin {
  const o = parseOptions(schema, options, { plugin: PLUGIN });
  const select = o.params === undefined ? undefined : new RegExp(o.params);
  const chosen = (name: string): boolean => select?.test(name) ?? true;
  const update: UpdateMethod = {
    name: PLUGIN,
    gradients: (input: UpdateInput) => {
      if (input.step % o.every !== 0) return input.observedGradient();
      const names = [...input.params.keys()].filter(chosen);
      const g = input.gradient();
      const e = samPerturbation(
        names.map((n) => input.params.get(n)!),
        names.map((n) => g.get(n) ?? tf.zerosLike(input.params.get(n)!)),
        o,
      );
      return input.observedGradient(new Map(names.map((n, i) => [n, e[i]!])));
    },
  };
  return {
    name: PLUGIN,
    version: BUILTIN_PLUGIN_VERSION,
    apiVersion: BUILTIN_API_RANGE,
    contributes: { updateMethods: [update] },
    hooks: {
      modelBuilt: ({ model }, ctx) => {
        const trainable = [...model.params].filter(([, v]) => v.trainable).map(([name]) => name);
        if (!trainable.some(chosen)) {
          throw ctx.error(`option 'params' (/${o.params ?? ''}/) matches no trainable parameter.`, {
            event: 'modelBuilt',
            fix: `change 'params' to match some of: ${trainable.join(', ')}.`,
          });
        }
      },
    },
  };
}
