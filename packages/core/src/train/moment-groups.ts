import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedGroup } from './param-groups.js';

/** One parameter an update step touches. */
export interface MomentEntry {
  readonly name: string;
  readonly param: tf.Variable;
  readonly grad: tf.Tensor;
  readonly options: ResolvedGroup;
}

/** Parameters of one shape and one set of options, updated together: moments stacked [k, ...shape]. */
export interface MomentGroup {
  readonly entries: MomentEntry[];
  readonly shape: readonly number[];
  readonly options: ResolvedGroup;
  readonly m: tf.Variable;
  readonly v: tf.Variable;
}

/**
 * The AdamW moments (m, v) of every parameter, stored so that an update runs a few ops per group of
 * same-shaped parameters instead of ~20 small ops per parameter (on wasm each op costs ~10-20 us of
 * dispatch whatever its size). Parameters updated in the last step live stacked in groups; moments of
 * parameters outside the current layout (frozen since, or restored from a checkpoint) stay loose.
 */
export class MomentGroups {
  private groups: MomentGroup[] = [];
  private layout = '';
  private readonly loose = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
  private readonly order: string[] = [];

  /** The groups for this step's entries, regrouping (moments preserved, new ones zero) when the set of parameters changed. */
  groupsFor(entries: readonly MomentEntry[]): readonly MomentGroup[] {
    const layout = entries.map((e) => `${e.name}:${e.param.shape.join('x')}:${e.options.lrMultiplier}:${e.options.weightDecay}`).join('|');
    if (layout === this.layout) return this.rebind(entries);
    this.unstackAll();
    const byKey = new Map<string, MomentEntry[]>();
    for (const e of entries) {
      const key = `${e.param.shape.join('x')}|${e.options.lrMultiplier}|${e.options.weightDecay}`;
      byKey.set(key, [...(byKey.get(key) ?? []), e]);
      if (!this.order.includes(e.name)) this.order.push(e.name);
    }
    this.groups = [...byKey.values()].map((members) => {
      const [m, v] = (['m', 'v'] as const).map((kind) =>
        tf.tidy(() => tf.variable(tf.stack(members.map((e) => this.loose.get(e.name)?.[kind] ?? tf.zerosLike(e.param))), false)),
      ) as [tf.Variable, tf.Variable];
      return { entries: members, shape: members[0]!.param.shape, options: members[0]!.options, m, v };
    });
    for (const e of entries) this.dropLoose(e.name);
    this.layout = layout;
    return this.groups;
  }

  /** Every parameter's moments and shape, read back (one transfer per group), in the order first seen. */
  async read(): Promise<Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>> {
    const found = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();
    for (const g of this.groups) {
      const [m, v] = [(await g.m.data()) as Float32Array, (await g.v.data()) as Float32Array];
      const size = m.length / g.entries.length;
      g.entries.forEach((e, i) => found.set(e.name, { m: m.slice(i * size, (i + 1) * size), v: v.slice(i * size, (i + 1) * size), shape: [...g.shape] }));
    }
    for (const [name, { m, v }] of this.loose) found.set(name, { m: (await m.data()) as Float32Array, v: (await v.data()) as Float32Array, shape: [...m.shape] });
    return new Map(this.order.filter((name) => found.has(name)).map((name) => [name, found.get(name)!]));
  }

  /** Replaces every moment with these (copies are kept; the caller keeps ownership). */
  restore(moments: ReadonlyMap<string, { m: tf.Tensor; v: tf.Tensor }>): void {
    const copies = new Map([...moments].map(([name, { m, v }]) => [name, { m: tf.keep(tf.clone(m)), v: tf.keep(tf.clone(v)) }]));
    this.dispose();
    for (const [name, pair] of copies) {
      this.loose.set(name, pair);
      this.order.push(name);
    }
  }

  /** Releases every moment tensor. */
  dispose(): void {
    for (const g of this.groups) tf.dispose([g.m, g.v]);
    this.groups = [];
    this.layout = '';
    for (const name of [...this.loose.keys()]) this.dropLoose(name);
    this.order.length = 0;
  }

  /** The current groups with this step's entries (the same names; new gradient tensors). */
  private rebind(entries: readonly MomentEntry[]): readonly MomentGroup[] {
    const byName = new Map(entries.map((e) => [e.name, e]));
    this.groups = this.groups.map((g) => ({ ...g, entries: g.entries.map((e) => byName.get(e.name)!) }));
    return this.groups;
  }

  /** Moves the grouped moments back to loose per-parameter tensors. */
  private unstackAll(): void {
    for (const g of this.groups) {
      // Kept: this may run inside the caller's tf.tidy, and loose moments must outlive it.
      const [ms, vs] = [g.m, g.v].map((t) => tf.tidy(() => tf.unstack(t).map((part) => tf.clone(part))).map((part) => tf.keep(part))) as [tf.Tensor[], tf.Tensor[]];
      g.entries.forEach((e, i) => {
        this.dropLoose(e.name);
        this.loose.set(e.name, { m: ms[i]!, v: vs[i]! });
      });
      tf.dispose([g.m, g.v]);
    }
    this.groups = [];
    this.layout = '';
  }

  private dropLoose(name: string): void {
    const pair = this.loose.get(name);
    if (pair !== undefined) tf.dispose([pair.m, pair.v]);
    this.loose.delete(name);
  }
}
