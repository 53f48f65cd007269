import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@flatsparse/plugin-api';
import { describeValue } from '@flatsparse/plugin-api/host';

/**
 * Which parameters a curvature computation covers: a name predicate, a RegExp tested against each
 * name, or a string read as a RegExp source (for example 'mlp\\.key' or '^blocks\\.0\\.').
 */
export type ParamFilter = string | RegExp | ((name: string) => boolean);

/**
 * A named subset of the model's parameters, flattened in map order into one vector of length `dim`
 * (variable i occupies `sizes[i]` consecutive entries, in row-major order).
 */
export interface ParamSubset {
  /** Parameter names, in map order. */
  readonly names: readonly string[];
  /** The variables, aligned with `names`. */
  readonly variables: readonly tf.Variable[];
  /** Number of entries of each variable. */
  readonly sizes: readonly number[];
  /** Total number of entries (the length of the flattened vector). */
  readonly dim: number;
}

/** Turns a filter into a name predicate (a RegExp is copied without the stateful g/y flags). */
export function paramPredicate(filter: ParamFilter): (name: string) => boolean {
  if (typeof filter === 'function') return filter;
  const source = typeof filter === 'string' ? filter : filter.source;
  const flags = typeof filter === 'string' ? '' : filter.flags.replace(/[gy]/g, '');
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, flags);
  } catch (err) {
    throw new ConfigError('filter', `'${source}' is not a valid regular expression.`, {
      received: source,
      expected: 'a RegExp source such as "mlp\\\\.key" or "^blocks\\\\.0\\\\."',
      fix: 'escape special characters (for example "\\\\." for a literal dot), or pass a RegExp or a function.',
      cause: err,
    });
  }
  return (name) => pattern.test(name);
}

/**
 * The trainable parameters passing `filter` (default: every trainable one), in map order.
 * Throws ConfigError naming the pattern and listing some parameter names if none matches.
 */
export function selectParams(params: ReadonlyMap<string, tf.Variable>, filter?: ParamFilter): ParamSubset {
  const keep = filter === undefined ? () => true : paramPredicate(filter);
  const names: string[] = [];
  const variables: tf.Variable[] = [];
  const sizes: number[] = [];
  for (const [name, variable] of params) {
    if (!variable.trainable || !keep(name)) continue;
    names.push(name);
    variables.push(variable);
    sizes.push(variable.size);
  }
  if (names.length === 0) {
    const all = [...params.keys()];
    const shown = all.slice(0, 12).join(', ') + (all.length > 12 ? `, ... (${all.length} in all)` : '');
    const pattern = filter === undefined ? 'every trainable parameter' : typeof filter === 'function' ? describeValue(filter) : String(filter);
    throw new ConfigError('filter', `no trainable parameter matches ${pattern}.`, {
      received: pattern,
      expected: all.length ? `a pattern matching at least one trainable parameter among: ${shown}` : 'a model with parameters (the map is empty)',
      fix: 'fix the pattern (it is a RegExp tested against each name), or make the parameters trainable.',
    });
  }
  return { names, variables, sizes, dim: sizes.reduce((a, b) => a + b, 0) };
}

/** The current values of the subset, concatenated into one float64 vector (one read-back per variable). */
export async function readParams(subset: ParamSubset): Promise<Float64Array> {
  const parts = await Promise.all(subset.variables.map((v) => v.data()));
  const out = new Float64Array(subset.dim);
  let offset = 0;
  for (const part of parts) {
    out.set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/** Device copies of a subset's values; `restore()` assigns them back bit-exactly. */
export interface ParamSnapshot {
  /** Assigns the saved values back to the variables (bit-exact; the snapshot stays usable). */
  restore(): void;
  /** Frees the copies. */
  dispose(): void;
  /** The saved values, aligned with the subset's variables. */
  readonly tensors: readonly tf.Tensor[];
}

/**
 * Saves the subset's current values on the device. `tf.clone` shares the variable's buffer (no copy):
 * assigning a new value to a variable later gives it a new buffer and leaves the saved one intact.
 */
export function snapshotParams(subset: ParamSubset): ParamSnapshot {
  const tensors = subset.variables.map((v) => tf.keep(tf.clone(v)));
  return {
    tensors,
    restore: () => subset.variables.forEach((v, i) => v.assign(tensors[i]!)),
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}

/**
 * Sets w = base + scale * direction on the device (float32), where `direction` is a flat vector of
 * length `subset.dim` or one tensor per variable.
 */
export function setParams(subset: ParamSubset, base: ParamSnapshot, direction: Float64Array | readonly tf.Tensor[], scale: number): void {
  tf.tidy(() => {
    const parts = direction instanceof Float64Array ? splitVector(subset, direction) : direction;
    subset.variables.forEach((v, i) => v.assign(tf.add(base.tensors[i]!, tf.mul(parts[i]!, tf.scalar(scale)))));
  });
}

/** Splits a flat vector into float32 tensors shaped like the subset's variables (the caller disposes them). */
export function splitVector(subset: ParamSubset, v: Float64Array): tf.Tensor[] {
  if (v.length !== subset.dim) {
    throw new ConfigError('direction', `the vector has ${v.length} entries, the parameter subset ${subset.dim}.`, {
      received: v.length,
      expected: `${subset.dim} entries (${subset.names.length} parameters)`,
      fix: 'build the vector over the same parameter subset (same filter) as the operator.',
    });
  }
  let offset = 0;
  return subset.variables.map((variable, i) => {
    const size = subset.sizes[i]!;
    const part = Float32Array.from(v.subarray(offset, offset + size));
    offset += size;
    return tf.tensor(part, variable.shape, 'float32');
  });
}

/** Concatenates tensors (for example per-variable gradients) into one float64 vector (one read-back). */
export async function flattenTensors(tensors: readonly tf.Tensor[]): Promise<Float64Array> {
  const flat = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
  try {
    return Float64Array.from(await flat.data());
  } finally {
    flat.dispose();
  }
}
