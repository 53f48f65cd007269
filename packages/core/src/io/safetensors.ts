import { readFile } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { readHeader } from './safetensors-header.js';

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

/**
 * Decodes a safetensors buffer (F32 and I32 only); `source` names it in errors. The whole header is
 * checked before any tensor is read: it must be a JSON object of `{ dtype, shape, data_offsets }`
 * entries whose byte ranges lie inside the file, match their shapes, and together cover the data
 * exactly (a truncated or padded file is refused with E_CHECKPOINT, never read past its end).
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'buffer'): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
  const { entries, metadata, base } = readHeader(bytes, source);
  const tensors = new Map<string, StoredTensor>();
  for (const { name, dtype, shape, start, end } of entries) {
    const raw = bytes.slice(base + start, base + end);
    const data = dtype === 'F32' ? new Float32Array(raw.buffer, 0, (end - start) / 4) : new Int32Array(raw.buffer, 0, (end - start) / 4);
    tensors.set(name, { dtype, shape, data } as StoredTensor);
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
