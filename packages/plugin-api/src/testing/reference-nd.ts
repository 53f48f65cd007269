/**
 * A minimal float64 n-d array for the conformance references: plain JavaScript, no tfjs, so a
 * reference never shares code (or bugs) with the backend under test.
 */
export interface Nd {
  /** Shape (row-major). */
  readonly shape: readonly number[];
  /** Values in float64. */
  readonly data: Float64Array;
}

/** Builds an Nd (copying the values to float64). */
export function nd(shape: readonly number[], values: ArrayLike<number>): Nd {
  const size = sizeOf(shape);
  if (values.length !== size) throw new RangeError(`nd: ${values.length} values for shape [${shape.join(', ')}]`);
  return { shape: [...shape], data: Float64Array.from(values) };
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Multi-index of a flat offset. */
export function unravel(offset: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = offset % shape[i]!;
    offset = Math.floor(offset / shape[i]!);
  }
  return idx;
}

/** Elementwise map. */
export function map(a: Nd, f: (v: number, i: number) => number): Nd {
  return { shape: a.shape, data: a.data.map(f) };
}

/** Broadcast shape of two shapes (numpy rules). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new RangeError(`cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Reads `a` at a multi-index of a (larger) broadcast shape. */
function broadcastOffset(a: Nd, idx: readonly number[]): number {
  const strides = stridesOf(a.shape);
  let off = 0;
  const shift = idx.length - a.shape.length;
  for (let i = 0; i < a.shape.length; i++) off += (a.shape[i] === 1 ? 0 : idx[i + shift]!) * strides[i]!;
  return off;
}

/** Elementwise function of several arrays with numpy broadcasting. */
export function zipN(arrays: readonly Nd[], f: (...vs: number[]) => number): Nd {
  const shape = arrays.reduce<number[]>((s, a) => broadcastShape(s, a.shape), []);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...arrays.map((a) => a.data[broadcastOffset(a, idx)]!));
  }
  return { shape, data };
}

/** Elementwise binary function with broadcasting. */
export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  return zipN([a, b], (x, y) => f(x!, y!));
}

/** Normalises axes (negative allowed; undefined = all) to sorted non-negative ones. */
export function normAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}

/** Reduction over axes: `step` folds each value in, `finish` maps (accumulator, count) to the result. */
export function reduce(
  a: Nd,
  axes: number | readonly number[] | undefined,
  keepDims: boolean,
  init: number,
  step: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (acc) => acc,
): Nd {
  const ax = normAxes(axes, a.shape.length);
  const kept = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const acc = new Float64Array(sizeOf(kept)).fill(init);
  const keptStrides = stridesOf(kept);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    let off = 0;
    for (let k = 0; k < idx.length; k++) if (!ax.includes(k)) off += idx[k]! * keptStrides[k]!;
    acc[off] = step(acc[off]!, a.data[i]!);
  }
  const count = ax.reduce((n, k) => n * a.shape[k]!, 1);
  const data = acc.map((v) => finish(v, count));
  return { shape: keepDims ? kept : a.shape.filter((_, i) => !ax.includes(i)), data };
}

/** Sum over axes. */
export function sum(a: Nd, axes?: number | readonly number[], keepDims = false): Nd {
  return reduce(a, axes, keepDims, 0, (s, v) => s + v);
}

/** Mean over axes. */
export function mean(a: Nd, axes?: number | readonly number[], keepDims = false): Nd {
  return reduce(a, axes, keepDims, 0, (s, v) => s + v, (s, n) => s / n);
}
