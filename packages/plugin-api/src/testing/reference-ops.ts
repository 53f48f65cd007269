import { map, nd, reduce, sizeOf, stridesOf, unravel, zip, type Nd } from './reference-nd.js';

/** Batched matrix product in float64; batch dimensions broadcast like tf.matMul. */
export function matMul(a: Nd, b: Nd, transposeA = false, transposeB = false): Nd {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, ka] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [kb, n] = transposeB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
  if (ka !== kb) throw new RangeError(`matMul: inner dimensions ${ka} and ${kb} differ`);
  const batchA = a.shape.slice(0, ra - 2);
  const batchB = b.shape.slice(0, rb - 2);
  const batch = batchA.length >= batchB.length ? batchA : batchB;
  const nBatch = sizeOf(batch);
  const sizeA = sizeOf(batchA) === 1 ? 0 : a.shape[ra - 2]! * a.shape[ra - 1]!;
  const sizeB = sizeOf(batchB) === 1 ? 0 : b.shape[rb - 2]! * b.shape[rb - 1]!;
  const out = new Float64Array(nBatch * m * n);
  for (let t = 0; t < nBatch; t++) {
    const oa = t * sizeA;
    const ob = t * sizeB;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < ka; k++) {
          const av = a.data[oa + (transposeA ? k * m + i : i * ka + k)]!;
          const bv = b.data[ob + (transposeB ? j * kb + k : k * n + j)]!;
          s += av * bv;
        }
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  return { shape: [...batch, m, n], data: out };
}

/** Transpose by a permutation (default: reverse the axes). */
export function transpose(a: Nd, perm: readonly number[] = [...a.shape.keys()].reverse()): Nd {
  const shape = perm.map((p) => a.shape[p]!);
  const inStrides = stridesOf(a.shape);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    for (let k = 0; k < perm.length; k++) off += idx[k]! * inStrides[perm[k]!]!;
    data[i] = a.data[off]!;
  }
  return { shape, data };
}

/** Reshape (same row-major data). */
export function reshape(a: Nd, shape: readonly number[]): Nd {
  return nd(shape, a.data);
}

/** Slice with begin and size per axis (size -1: to the end). */
export function slice(a: Nd, begin: readonly number[], size: readonly number[]): Nd {
  const shape = a.shape.map((d, i) => (size[i] === -1 ? d - begin[i]! : size[i]!));
  const strides = stridesOf(a.shape);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = a.data[idx.reduce((off, v, k) => off + (v + begin[k]!) * strides[k]!, 0)]!;
  }
  return { shape, data };
}

/** Concatenation along an axis. */
export function concat(parts: readonly Nd[], axis: number): Nd {
  const rank = parts[0]!.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const shape = [...parts[0]!.shape];
  shape[ax] = parts.reduce((s, p) => s + p.shape[ax]!, 0);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let pos = idx[ax]!;
    let p = 0;
    while (pos >= parts[p]!.shape[ax]!) pos -= parts[p++]!.shape[ax]!;
    const part = parts[p]!;
    const local = [...idx];
    local[ax] = pos;
    data[i] = part.data[local.reduce((off, v, k) => off + v * stridesOf(part.shape)[k]!, 0)]!;
  }
  return { shape, data };
}

/** Gathers rows (axis 0) of a table by integer indices of any shape. */
export function gather(table: Nd, indices: Nd): Nd {
  const row = sizeOf(table.shape.slice(1));
  const data = new Float64Array(indices.data.length * row);
  indices.data.forEach((ix, i) => data.set(table.data.subarray(ix * row, ix * row + row), i * row));
  return { shape: [...indices.shape, ...table.shape.slice(1)], data };
}

/** One-hot encoding of integer indices. */
export function oneHot(indices: Nd, depth: number, on = 1, off = 0): Nd {
  const data = new Float64Array(indices.data.length * depth).fill(off);
  // As tf.oneHot: an index outside [0, depth) gives a row of `off`.
  indices.data.forEach((ix, i) => {
    if (ix >= 0 && ix < depth) data[i * depth + ix] = on;
  });
  return { shape: [...indices.shape, depth], data };
}

/** log(sum(exp(x))) along an axis, computed stably. */
export function logSumExp(a: Nd, axis: number, keepDims = false): Nd {
  const max = reduce(a, axis, true, -Infinity, Math.max);
  const shifted = zip(a, max, (x, m) => Math.exp(x - m));
  const s = reduce(shifted, axis, true, 0, (acc, v) => acc + v);
  const out = zip(s, max, (v, m) => Math.log(v) + m);
  return keepDims ? out : reshapeDrop(out, axis);
}

/** Log-softmax along the last axis. */
export function logSoftmax(a: Nd): Nd {
  return zip(a, logSumExp(a, -1, true), (x, l) => x - l);
}

/** Softmax along the last axis. */
export function softmax(a: Nd): Nd {
  return map(logSoftmax(a), Math.exp);
}

function reshapeDrop(a: Nd, axis: number): Nd {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  return reshape(a, a.shape.filter((_, i) => i !== ax));
}

/** Error function to about 1e-14: power series below |x| = 3, continued fraction of erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let total = ax;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(total); n++) {
      term *= (-ax * ax) / n;
      total += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * total;
  }
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}
