import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError, Rng } from '@flatsparse/plugin-api';

let nextInstance = 0;

/** A fresh prefix for tf.variable names, unique among the variables registered in the engine. */
function uniquePrefix(kind: string): string {
  const registered = tf.engine().registeredVariables;
  for (;;) {
    const prefix = `flatsparse_${kind}_${nextInstance++}`;
    if (!Object.keys(registered).some((name) => name.startsWith(`${prefix}/`))) return prefix;
  }
}

/** FNV-1a hash of a string (32 bits), used to give each parameter its own seeded stream. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How a new parameter is initialised: truncated normal (at 2 std) or a constant (`createUniform`: uniform). */
export type ParamInit = { readonly kind: 'normal'; readonly std: number } | { readonly kind: 'constant'; readonly value: number };

/**
 * The named parameters of one model instance. Each parameter draws its initial values from its own
 * Rng seeded by (seed, name), so the same seed gives bit-identical weights whatever the creation
 * order. Variable names are prefixed with an instance id, so several models can coexist.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly prefix: string;

  constructor(
    kind: string,
    private readonly seed: number,
  ) {
    this.prefix = uniquePrefix(kind);
  }

  /** Every parameter by dotted name, in creation order. */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  /** Creates a float32 parameter of this shape drawn uniformly from [-bound, bound] (seeded by name). */
  createUniform(name: string, shape: readonly number[], bound: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    return this.addValues(name, shape, this.rngFor(name).fill(size, (r) => (2 * r.uniform() - 1) * bound));
  }

  /** Creates a float32 parameter of this shape from a seeded initialiser (truncated normal at 2 std). */
  create(name: string, shape: readonly number[], init: ParamInit): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (init.kind === 'constant') values = new Float32Array(size).fill(init.value);
    else {
      values = this.rngFor(name).fill(size, (r) => {
        let v = r.normal();
        while (Math.abs(v) > 2) v = r.normal();
        return v * init.std;
      });
    }
    return this.addValues(name, shape, values);
  }

  /** The parameter's own stream, seeded by (seed, name): the same seed gives the same values whatever the creation order. */
  private rngFor(name: string): Rng {
    return new Rng((hashName(name) ^ Math.imul(this.seed >>> 0, 0x9e3779b1)) >>> 0);
  }

  private addValues(name: string, shape: readonly number[], values: Float32Array): tf.Variable {
    const initial = tf.tensor(values, [...shape], 'float32');
    try {
      return this.add(name, initial, true);
    } finally {
      initial.dispose();
    }
  }

  /** Adds a parameter holding a copy of `initial` (the caller keeps ownership of `initial`). */
  add(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    if (this.vars.has(name)) {
      throw new ModelConfigError(`a parameter named '${name}' already exists.`, {
        received: name,
        expected: 'a name not yet in model.params',
        fix: 'pick another name (prefix it with your plugin name, for example "myPlugin.blocks.0.table").',
      });
    }
    const variable = tf.variable(initial, trainable, `${this.prefix}/${name}`, initial.dtype);
    this.vars.set(name, variable);
    return variable;
  }

  /** The parameter of that name; throws ModelConfigError listing the known names if absent. */
  get(name: string): tf.Variable {
    const variable = this.vars.get(name);
    if (variable === undefined) {
      throw new ModelConfigError(`there is no parameter named '${name}'.`, {
        received: name,
        expected: `one of ${[...this.vars.keys()].join(', ')}`,
        fix: 'use a name from model.params (or MlpBlockInfo) exactly as listed.',
      });
    }
    return variable;
  }

  /** Sets `variable.trainable` (frozen parameters get no gradient from the trainer). */
  setTrainable(name: string, trainable: boolean): void {
    this.get(name).trainable = trainable;
  }

  /** Disposes every parameter, plugin-added ones included; safe to call twice. */
  dispose(): void {
    for (const variable of this.vars.values()) variable.dispose();
    this.vars.clear();
  }
}
