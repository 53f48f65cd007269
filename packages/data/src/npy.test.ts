import { DataError } from '@flatsparse/plugin-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy, readNpy } from './npy.js';

/**
 * Builds .npy bytes by hand, following the format description in numpy's format.py: magic, version,
 * header length (uint16 for 1.0, uint32 for 2.0/3.0), an ASCII dict padded with spaces and ending in
 * '\n' so that the data starts at a multiple of 64, then the raw little-endian data.
 */
function npyBytes(descr: string, shape: readonly number[], body: Uint8Array, opts: { version?: 1 | 2 | 3; fortran?: boolean } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  while ((prefix + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const out = new Uint8Array(prefix + dict.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.set(body, prefix + dict.length);
  return out;
}

function le(size: number, values: readonly number[], write: (v: DataView, at: number, x: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => write(view, i * size, x));
  return out;
}

const f32 = (xs: number[]) => le(4, xs, (v, at, x) => v.setFloat32(at, x, true));
const f64 = (xs: number[]) => le(8, xs, (v, at, x) => v.setFloat64(at, x, true));
const i32 = (xs: number[]) => le(4, xs, (v, at, x) => v.setInt32(at, x, true));
const i64 = (xs: number[]) => le(8, xs, (v, at, x) => v.setBigInt64(at, BigInt(x), true));

describe('parseNpy', () => {
  it('reads float32, float64, int32, int64 and uint8 arrays with their shapes', () => {
    const a = parseNpy(npyBytes('<f4', [2, 3], f32([0, 0.5, 1, 0.25, 0.75, 0.125])), 'a');
    expect(a).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(Array.from(a.data)).toEqual([0, 0.5, 1, 0.25, 0.75, 0.125]);
    const b = parseNpy(npyBytes('<f8', [3], f64([0.1, 0.2, 0.3])), 'b');
    expect(b.dtype).toBe('float64');
    expect(Array.from(b.data)).toEqual([0.1, 0.2, 0.3]);
    const c = parseNpy(npyBytes('<i4', [4], i32([3, -1, 0, 2147483647])), 'c');
    expect(Array.from(c.data)).toEqual([3, -1, 0, 2147483647]);
    const d = parseNpy(npyBytes('<i8', [2, 2], i64([1, 2, -3, 2 ** 40])), 'd');
    expect(d).toMatchObject({ dtype: 'int64', shape: [2, 2] });
    expect(Array.from(d.data)).toEqual([1, 2, -3, 2 ** 40]);
    const e = parseNpy(npyBytes('|u1', [5], Uint8Array.from([0, 1, 127, 128, 255])), 'e');
    expect(e.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(e.data)).toEqual([0, 1, 127, 128, 255]);
  });

  it('reads format versions 2.0 and 3.0 and scalars', () => {
    expect(Array.from(parseNpy(npyBytes('<i4', [2], i32([5, 6]), { version: 2 }), 'v2').data)).toEqual([5, 6]);
    expect(Array.from(parseNpy(npyBytes('<i4', [2], i32([7, 8]), { version: 3 }), 'v3').data)).toEqual([7, 8]);
    const scalar = parseNpy(npyBytes('<f8', [], f64([2.5])), 's');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([2.5]);
  });

  it('reads data that does not start at an aligned offset of the given buffer', () => {
    const bytes = npyBytes('<f4', [2], f32([1.5, -2]));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseNpy(shifted.subarray(1), 'shifted').data)).toEqual([1.5, -2]);
  });

  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file without the magic string', () => new TextEncoder().encode('hello world, not numpy'), /magic string/],
    ['an unknown format version', () => { const b = npyBytes('<f4', [1], f32([1])); b[6] = 9; return b; }, /format version 9/],
    ['a big-endian dtype', () => npyBytes('>f4', [1], f32([1])), /unsupported dtype '>f4'.*little-endian/],
    ['an unsupported dtype', () => npyBytes('<i2', [2], Uint8Array.from([1, 0, 2, 0])), /unsupported dtype '<i2'/],
    ['Fortran order', () => npyBytes('<f4', [1, 2], f32([1, 2]), { fortran: true }), /Fortran/],
    ['truncated data', () => npyBytes('<f4', [3], f32([1, 2])), /holds 8 data bytes.*needs 12/],
    ['a truncated header', () => npyBytes('<f4', [3], f32([1, 2, 3])).subarray(0, 30), /truncated inside its header/],
    ['a header without shape', () => { const b = npyBytes('<f4', [1], f32([1])); const text = new TextDecoder().decode(b); const i = text.indexOf("'shape'"); b.set(new TextEncoder().encode("'shap_'"), i); return b; }, /without descr, fortran_order and shape/],
    ['an int64 beyond 2^53', () => npyBytes('<i8', [1], le(8, [0], (v, at) => v.setBigInt64(at, 2n ** 60n, true))), /beyond what a JavaScript number/],
  ];
  it.each(cases)('throws DataError naming the file for %s', (_, make, message) => {
    let error: unknown;
    try {
      parseNpy(make(), 'bad.npy');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).source).toBe('bad.npy');
    expect((error as DataError).message).toMatch(message);
    expect((error as DataError).fix).toBeTruthy();
  });
});

describe('readNpy', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatsparse-npy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file from disk', async () => {
    const file = join(dir, 'x.npy');
    await writeFile(file, npyBytes('<f4', [2, 2], f32([0.5, 1, 0, 0.25])));
    const x = await readNpy(file);
    expect(x.shape).toEqual([2, 2]);
    expect(Array.from(x.data)).toEqual([0.5, 1, 0, 0.25]);
  });

  it('throws DataError naming a missing file, and a directory', async () => {
    const missing = join(dir, 'nope.npy');
    await expect(readNpy(missing)).rejects.toThrow(DataError);
    await expect(readNpy(missing)).rejects.toThrow(new RegExp(`'${missing}' does not exist`));
    await expect(readNpy(dir)).rejects.toThrow(/is a directory/);
  });
});
