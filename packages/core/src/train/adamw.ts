import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CheckpointError } from '../errors.js';
import { FusedKernel, hasFusedKernel, runFused, type ParamOptions, isRegExpSource, parseOptions } from '@flatsparse/plugin-api';
import type { StoredTensor } from '../io/safetensors.js';
import { MomentGroups, type MomentEntry } from './moment-groups.js';
import { DEFAULT_NO_DECAY, resolveGroup, type DecayRule, type ParamGroup, type ResolvedGroup } from './param-groups.js';

/** A name pattern: a RegExp, or its source as written in a config file. */
const pattern = z.union([z.instanceof(RegExp), z.string().refine(isRegExpSource, { message: 'is not a valid regular expression' })]);

const groupSchema = z
  .object({
    match: z.union([pattern, z.array(z.string())]),
    lrMultiplier: z.number().nonnegative().finite().optional(),
    weightDecay: z.number().nonnegative().finite().optional(),
  })
  .strict();

/**
 * The one schema of AdamW's options, as code passes them and as a config file's `train.optimizer`
 * (the CLI's config schema is built from it): no defaults here, so a stored config keeps what was
 * written; AdamW fills the defaults and compiles pattern sources.
 */
export const adamwOptionsSchema = z
  .object({
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    epsilon: z.number().positive().finite().optional(),
    weightDecay: z.number().nonnegative().finite().optional(),
    groups: z.array(groupSchema).optional(),
    noDecay: z.union([pattern, z.null()]).optional(),
    decay: z.enum(['default', 'all']).optional(),
  })
  .strict();

interface ResolvedAdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly groups: readonly ParamGroup[];
  readonly noDecay: RegExp | null;
  readonly decay: DecayRule;
}

const compile = (p: RegExp | string): RegExp => (typeof p === 'string' ? new RegExp(p) : p);

/** Options of AdamW (defaults as in PyTorch: beta1 0.9, beta2 0.999, epsilon 1e-8, weight decay 0.01). */
export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled weight decay of parameters no group or default rule exempts. */
  readonly weightDecay?: number;
  /** Per-parameter options by name; the first matching group wins. */
  readonly groups?: readonly (Omit<ParamGroup, 'match'> & { readonly match: RegExp | string | readonly string[] })[];
  /** Names without weight decay unless a group says otherwise (with decay 'default'): a RegExp or its source; null: none by name. */
  readonly noDecay?: RegExp | string | null;
  /** 'default' (rank <= 1 and `noDecay` names exempt) or 'all' (every parameter decayed, the authors' ViT recipe); see DecayRule. */
  readonly decay?: DecayRule;
}

/** What one AdamW update takes besides the parameters, gradients and learning rate. */
export interface AdamWUpdateOptions {
  /** Boolean scalar: where false, parameters and moments keep their old values (the non-finite gate). */
  readonly gate?: tf.Tensor | undefined;
  /** Per-parameter options (ModelView.paramOptions), over the groups and defaults. */
  readonly overrides?: ((name: string) => ParamOptions | undefined) | undefined;
  /** A scalar every gradient is multiplied by first (the factor of clipping by the global norm). */
  readonly gradScale?: tf.Scalar | undefined;
}

/**
 * AdamW (Loshchilov and Hutter) written with tfjs ops, with bias correction and decoupled weight
 * decay: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p).
 * Its state (step, m, v) can be exported and restored exactly. Only trainable variables are updated.
 */
export class AdamW {
  private readonly options: ResolvedAdamWOptions;
  private readonly moments = new MomentGroups();
  private count = 0;

  constructor(options: AdamWOptions = {}) {
    const o = parseOptions(adamwOptionsSchema, options, { path: 'optimizer', fix: 'see AdamWOptions.' });
    this.options = {
      beta1: o.beta1 ?? 0.9,
      beta2: o.beta2 ?? 0.999,
      epsilon: o.epsilon ?? 1e-8,
      weightDecay: o.weightDecay ?? 0.01,
      groups: (o.groups ?? []).map((g) => ({ ...g, match: Array.isArray(g.match) ? g.match : compile(g.match as RegExp | string) })),
      noDecay: o.noDecay === undefined ? DEFAULT_NO_DECAY : o.noDecay === null ? null : compile(o.noDecay),
      decay: o.decay ?? 'default',
    };
  }

  /** Number of updates applied so far (the t of the bias correction). */
  get step(): number {
    return this.count;
  }

  /**
   * The learning-rate multiplier and weight decay of a parameter: per-parameter options (set by plugins
   * through ModelView.setParamOptions) win over the groups, which win over the defaults.
   */
  groupOf(name: string, shape: readonly number[], override?: ParamOptions): ResolvedGroup {
    const group = resolveGroup(name, shape, this.options.groups, this.options);
    return { lrMultiplier: override?.lrMultiplier ?? group.lrMultiplier, weightDecay: override?.weightDecay ?? group.weightDecay };
  }

  /**
   * Applies one update to every trainable parameter that has a gradient; call inside tf.tidy. With
   * `gate` (a boolean scalar), parameters and moments keep their old values where it is false, so a
   * non-finite step changes nothing, decided on the device without a read-back. `overrides` gives
   * per-parameter options (ModelView.paramOptions). The same as `update` with those options.
   */
  apply(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    lr: number,
    gate?: tf.Tensor,
    overrides?: (name: string) => ParamOptions | undefined,
  ): void {
    this.update(params, grads, lr, { gate, overrides });
  }

  /**
   * One update of every trainable parameter that has a gradient (call inside tf.tidy), with the
   * non-finite gate, per-parameter options and a factor every gradient is multiplied by first
   * (AdamWUpdateOptions). On a backend with the fused AdamW kernel each group is one kernel.
   */
  update(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number, options: AdamWUpdateOptions = {}): void {
    const { gate, overrides, gradScale } = options;
    this.count += 1;
    const { beta1, beta2, epsilon } = this.options;
    const bc1 = 1 - beta1 ** this.count;
    const bc2 = 1 - beta2 ** this.count;
    const entries: MomentEntry[] = [];
    for (const [name, grad] of grads) {
      const param = params.get(name);
      if (param !== undefined && param.trainable) entries.push({ name, param, grad, options: this.groupOf(name, param.shape, overrides?.(name)) });
    }
    const fused = hasFusedKernel(FusedKernel.AdamW);
    // Same-shaped parameters with the same options are updated as one stacked tensor: the element-wise
    // arithmetic (and so every result) is that of a per-parameter update, in a tenth of the ops.
    for (const { entries: members, options, m, v } of this.moments.groupsFor(entries)) {
      const rate = lr * options.lrMultiplier;
      if (fused) {
        const inputs: Record<string, tf.Tensor> = { m, v };
        members.forEach((e, i) => {
          inputs[`param${i}`] = e.param;
          inputs[`grad${i}`] = e.grad;
        });
        if (gradScale !== undefined) inputs['gradScale'] = gradScale;
        if (gate !== undefined) inputs['gate'] = gate;
        const attrs = { count: members.length, rate, beta1, beta2, epsilon, bc1, bc2, weightDecay: options.weightDecay };
        const [m1, v1, ...updated] = runFused(FusedKernel.AdamW, inputs, attrs);
        m.assign(m1!);
        v.assign(v1!);
        members.forEach((e, i) => e.param.assign(updated[i]!));
        continue;
      }
      const stack = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? tf.expandDims(ts[0]!, 0) : tf.stack(ts));
      const param = stack(members.map((e) => e.param));
      const stacked = stack(members.map((e) => e.grad));
      const grad = gradScale === undefined ? stacked : tf.mul(stacked, gradScale);
      const m1 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
      const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
      const direction = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), epsilon));
      const step = options.weightDecay === 0 ? direction : tf.add(direction, tf.mul(param, options.weightDecay));
      const p1 = tf.sub(param, tf.mul(step, rate));
      // tf.where would broadcast a scalar gate with Tile (slow on wasm): broadcast it once per group.
      const keep = gate === undefined ? undefined : tf.logicalAnd(gate, tf.ones(param.shape, 'bool'));
      m.assign(keep ? tf.where(keep, m1, m) : m1);
      v.assign(keep ? tf.where(keep, v1, v) : v1);
      // The gate (or a copy) is applied per parameter, after unstacking: each new value then comes out of
      // a kernel of the parameter's own shape (tfjs-backend-wasm keeps the producing kernel's shape with
      // the data, and its fused matMul checks a bias's rank there; an unstacked slice would say [1, n]).
      const parts = members.length === 1 ? [tf.reshape(p1, members[0]!.param.shape)] : tf.unstack(p1);
      const keepOne = keep === undefined ? undefined : tf.logicalAnd(gate!, tf.ones(members[0]!.param.shape, 'bool'));
      members.forEach((e, i) => e.param.assign(keepOne ? tf.where(keepOne, parts[i]!, e.param) : tf.clone(parts[i]!)));
    }
  }

  /** The state as named arrays ('m/<param>', 'v/<param>') read back asynchronously, and the step. */
  async exportState(): Promise<{ step: number; tensors: Map<string, StoredTensor> }> {
    const tensors = new Map<string, StoredTensor>();
    for (const [name, { m, v, shape }] of await this.moments.read()) {
      tensors.set(`m/${name}`, { dtype: 'F32', shape, data: m });
      tensors.set(`v/${name}`, { dtype: 'F32', shape, data: v });
    }
    return { step: this.count, tensors };
  }

  /** Restores a state from `exportState`; `source` names the file in errors. Replaces any current state. */
  importState(step: number, tensors: ReadonlyMap<string, StoredTensor>, params: ReadonlyMap<string, tf.Variable>, source: string): void {
    const names = new Set<string>();
    for (const key of tensors.keys()) {
      const match = /^([mv])\/(.+)$/.exec(key);
      const param = match ? params.get(match[2]!) : undefined;
      if (!match || param === undefined) {
        throw new CheckpointError(source, `holds optimizer state '${key}' for no parameter of this model.`, {
          expected: 'm/<name> and v/<name> for parameters in model.params',
          fix: 'resume with the same model configuration and plugins as the run that wrote the checkpoint.',
        });
      }
      names.add(match[2]!);
    }
    for (const name of names) {
      const param = params.get(name)!;
      for (const kind of ['m', 'v'] as const) {
        const stored = tensors.get(`${kind}/${name}`);
        if (stored === undefined || !sameShape(stored.shape, param.shape)) {
          throw new CheckpointError(source, `optimizer state '${kind}/${name}' is ${stored ? `of shape ${JSON.stringify(stored.shape)}` : 'missing'}.`, {
            expected: `shape ${JSON.stringify(param.shape)} (the parameter's)`,
            fix: 'resume with the same model configuration as the run that wrote the checkpoint.',
          });
        }
      }
    }
    const load = (key: string): tf.Tensor => {
      const stored = tensors.get(key)!;
      return tf.tensor(stored.data, [...stored.shape], 'float32');
    };
    const restored = new Map([...names].map((name) => [name, { m: load(`m/${name}`), v: load(`v/${name}`) }]));
    try {
      this.moments.restore(restored);
    } finally {
      for (const { m, v } of restored.values()) tf.dispose([m, v]);
    }
    this.count = step;
  }

  /** Releases the moment tensors. */
  dispose(): void {
    this.moments.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
