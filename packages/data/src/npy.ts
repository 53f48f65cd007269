import { DataError } from '@flatsparse/plugin-api';
import { readBytes } from './node-io.js';

/** The dtypes the .npy reader accepts (numpy `descr` strings in little-endian or byte order). */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

/** An array read from a .npy file: typed data in C order and its shape. */
export interface NpyArray {
  /** Element type as stored in the file. */
  readonly dtype: NpyDtype;
  /** Shape ([] for a scalar). */
  readonly shape: readonly number[];
  /** Values in C (row-major) order; int64 is converted to float64 (exact up to 2^53). */
  readonly data: Float32Array | Float64Array | Uint8Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8', '<i4': 'int32', '<i8': 'int64' };
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1, int32: 4, int64: 8 };

/** Reads a .npy file (format versions 1, 2 and 3; C order; little-endian float32/float64/int32/int64/uint8). */
export async function readNpy(path: string, source = path): Promise<NpyArray> {
  return parseNpy(await readBytes(path, source), source);
}

/** Parses the bytes of a .npy file; `source` names the file in errors. */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const fail = (what: string, received: unknown, fix: string): never => {
    throw new DataError(source, what, { received, expected: 'a NumPy .npy file (np.save) with a C-order little-endian float32/float64/uint8/int32/int64 array', fix });
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('is not a .npy file (the magic string \\x93NUMPY is missing).', `${bytes.length} bytes starting ${hex(bytes.subarray(0, 6))}`, 'save the array with numpy.save(path, array); .npz archives and text files are not read.');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) fail(`has .npy format version ${major}.${bytes[7]}, which this reader does not know.`, major, 'save it with a current numpy (versions 1.0 to 3.0 are read).');
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) fail('is truncated inside its header.', bytes.length, 'write the file again.');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart) fail('is truncated inside its header.', bytes.length, 'write the file again.');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail('has a header without descr, fortran_order and shape.', header.trim(), 'save the array with numpy.save.');
  if (fortran === 'True') fail('stores its array in Fortran (column-major) order.', 'fortran_order: True', 'save np.ascontiguousarray(array) instead.');
  const dtype = DESCR[descr!];
  if (dtype === undefined) {
    const hint = descr!.startsWith('>') ? 'convert to little-endian with array.astype(array.dtype.newbyteorder("<"))' : 'convert with array.astype(np.float32) for images or array.astype(np.int32) for labels';
    fail(`has the unsupported dtype '${descr}'.`, descr, `${hint}, then save again.`);
  }
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail('has an unreadable shape in its header.', shapeText, 'save the array with numpy.save.');
  const count = shape.reduce((a, b) => a * b, 1);
  const byteCount = count * ITEM_SIZE[dtype!];
  if (bytes.length - dataStart !== byteCount) {
    fail(`holds ${bytes.length - dataStart} data bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${byteCount}.`, bytes.length - dataStart, 'the file is truncated or corrupt: write it again.');
  }
  const body = bytes.slice(dataStart, dataStart + byteCount).buffer; // a copy: aligned for typed arrays
  return { dtype: dtype!, shape, data: typedData(dtype!, body, count, source) };
}

function typedData(dtype: NpyDtype, body: ArrayBuffer, count: number, source: string): NpyArray['data'] {
  switch (dtype) {
    case 'float32': return new Float32Array(body);
    case 'float64': return new Float64Array(body);
    case 'uint8': return new Uint8Array(body);
    case 'int32': return new Int32Array(body);
    case 'int64': {
      const wide = new BigInt64Array(body);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = wide[i]!;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DataError(source, `holds the int64 value ${v} at index ${i}, beyond what a JavaScript number represents exactly.`, {
            received: v.toString(),
            expected: 'integers within +-2^53',
            fix: 'store labels as int32.',
          });
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
