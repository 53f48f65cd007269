import { open } from 'node:fs/promises';
import { z } from 'zod';
import { CheckpointError } from '../errors.js';

const CORRUPT = 'the file is corrupt or was not written by flatsparse; use another checkpoint (or the run directory of an intact run).';
const TRUNCATED = 'the file is truncated (an interrupted copy, or a full disk when it was written elsewhere); copy it again or use another checkpoint.';

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

/** One tensor as the header describes it; offsets are relative to the start of the data. */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: 'F32' | 'I32';
  readonly shape: readonly number[];
  readonly start: number;
  readonly end: number;
}

/**
 * Reads and checks a safetensors header without reading any tensor: its length field, its JSON, every
 * entry's dtype, shape and byte range (inside the data, of the size the shape needs), and that the
 * ranges tile the data exactly, as the format requires. Throws E_CHECKPOINT naming `source`.
 */
export function readHeader(bytes: Uint8Array, source: string, fileLength = bytes.length): { entries: HeaderEntry[]; metadata: Record<string, string>; base: number } {
  if (fileLength < 8 || bytes.length < 8) throw new CheckpointError(source, 'is too short to be a safetensors file.', { received: `${fileLength} bytes`, fix: TRUNCATED });
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > fileLength || 8 + headerLength > bytes.length) throw new CheckpointError(source, 'has a header longer than the file.', { received: headerLength, expected: `at most ${fileLength - 8} bytes`, fix: TRUNCATED });
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw new CheckpointError(source, 'has a header that is not JSON.', { cause: err, fix: CORRUPT });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(source, 'has a header that is not a JSON object.', { received: header, fix: CORRUPT });
  const base = 8 + headerLength;
  const dataBytes = fileLength - base;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new CheckpointError(source, `has a malformed header entry '${name}'.`, { received: raw, expected: '{ dtype, shape: [integers], data_offsets: [start, end] }', fix: CORRUPT });
    const { dtype, shape, data_offsets: [start, end] } = parsed.data;
    if (dtype !== 'F32' && dtype !== 'I32') throw new CheckpointError(source, `holds '${name}' with dtype ${dtype}.`, { expected: 'F32 or I32', fix: 'convert the file to float32/int32 (for example with safetensors in Python).' });
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < start || count * 4 !== end - start) throw new CheckpointError(source, `'${name}' has shape ${JSON.stringify(shape)} but ${end - start} bytes.`, { expected: `${count * 4} bytes`, fix: CORRUPT });
    if (end > dataBytes) {
      throw new CheckpointError(source, `is truncated: '${name}' ends at data byte ${end}, but the file holds only ${dataBytes} bytes of data.`, { received: `${fileLength} bytes`, expected: `${base + end} bytes at least`, fix: TRUNCATED });
    }
    entries.push({ name, dtype, shape, start, end });
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.start !== at) throw new CheckpointError(source, `'${e.name}' starts at data byte ${e.start}, expected ${at}: the tensors overlap or leave a gap.`, { fix: CORRUPT });
    at = e.end;
  }
  if (at !== dataBytes) throw new CheckpointError(source, `has ${dataBytes - at} bytes after its last tensor.`, { received: `${fileLength} bytes`, expected: `${base + at} bytes`, fix: CORRUPT });
  const metadata = ((header as Record<string, unknown>).__metadata__ ?? {}) as Record<string, string>;
  return { entries, metadata, base };
}

/**
 * Checks a safetensors file's header against its size without reading its tensors (for checks before
 * any work starts) and returns its entries; throws E_CHECKPOINT naming the file.
 */
export async function checkSafetensorsFile(path: string): Promise<HeaderEntry[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CheckpointError(path, 'could not be read.', { cause: err, fix: "check the path; list a run's checkpoints in <run-dir>/checkpoints." });
  }
  try {
    const size = (await handle.stat()).size;
    const prefix = Buffer.alloc(Math.min(size, 8));
    await handle.read(prefix, 0, prefix.length, 0);
    const headerLength = prefix.length < 8 ? 0 : Number(prefix.readBigUInt64LE(0));
    const bytes = new Uint8Array(8 + Math.min(headerLength, Math.max(0, size - 8)));
    await handle.read(bytes, 0, bytes.length, 0);
    return readHeader(bytes, path, size).entries;
  } finally {
    await handle.close();
  }
}
