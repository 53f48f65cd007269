import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** A named array as stored in a safetensors file. */
export interface StoredTensor {
  readonly dtype: 'F32' | 'I32';
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/**
 * Encodes tensors in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header { name: { dtype, shape, data_offsets }, __metadata__ },
 * then the raw little-endian data. Readable from Python with `safetensors.numpy.load_file`.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, StoredTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Decodes a safetensors buffer (F32 and I32 only); `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = 'buffer'): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new CheckpointError(source, 'is too short to be a safetensors file.', { received: `${bytes.length} bytes`, fix: 'the file is truncated or not a safetensors file; use another checkpoint.' });
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new CheckpointError(source, 'has a header longer than the file.', { received: headerLength, fix: 'the file is truncated; use another checkpoint.' });
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw new CheckpointError(source, 'has a header that is not JSON.', { cause: err, fix: 'the file is corrupt; use another checkpoint.' });
  }
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const base = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = entry.data_offsets;
    const raw = bytes.slice(base + start, base + end);
    if (entry.dtype === 'F32') tensors.set(name, { dtype: 'F32', shape: entry.shape, data: new Float32Array(raw.buffer, 0, (end - start) / 4) });
    else if (entry.dtype === 'I32') tensors.set(name, { dtype: 'I32', shape: entry.shape, data: new Int32Array(raw.buffer, 0, (end - start) / 4) });
    else throw new CheckpointError(source, `holds '${name}' with dtype ${entry.dtype}.`, { expected: 'F32 or I32', fix: 'convert the file to float32/int32 (for example with safetensors in Python).' });
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (count * 4 !== end - start) throw new CheckpointError(source, `'${name}' has shape ${JSON.stringify(entry.shape)} but ${end - start} bytes.`, { fix: 'the file is corrupt; use another checkpoint.' });
  }
  return { tensors, metadata };
}

/** Writes a safetensors file atomically (temporary file, then rename). */
export async function saveSafetensors(path: string, tensors: ReadonlyMap<string, StoredTensor>, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads a safetensors file. */
export async function loadSafetensors(path: string): Promise<{ tensors: Map<string, StoredTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new CheckpointError(path, 'could not be read.', { cause: err, fix: 'check the path; list a run\'s checkpoints in <run-dir>/checkpoints.' });
  }
  return decodeSafetensors(bytes, path);
}
