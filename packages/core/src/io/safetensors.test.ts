import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import { checkSafetensorsFile } from './safetensors-header.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type StoredTensor } from './safetensors.js';

const sample = new Map<string, StoredTensor>([
  ['b.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6]) }],
  ['a.ids', { dtype: 'I32', shape: [4], data: Int32Array.from([7, 8, -9, 10]) }],
]);

describe('safetensors', () => {
  it('lays out the header and data as the format specifies (parsed independently)', () => {
    const bytes = encodeSafetensors(sample, { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['a.ids']).toEqual({ dtype: 'I32', shape: [4], data_offsets: [0, 16] });
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] });
    const view = new DataView(bytes.buffer, 8 + n);
    expect(view.getInt32(8, true)).toBe(-9);
    expect(view.getFloat32(16 + 8, true)).toBe(3.5);
  });

  it('round-trips through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-st-'));
    const path = join(dir, 'w.safetensors');
    await saveSafetensors(path, sample, { config: '{"d":4}' });
    const { tensors, metadata } = await loadSafetensors(path);
    expect(metadata).toEqual({ config: '{"d":4}' });
    expect([...tensors.get('b.weight')!.data]).toEqual([...sample.get('b.weight')!.data]);
    expect([...tensors.get('a.ids')!.data]).toEqual([7, 8, -9, 10]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await readFile(path)).length).toBe(encodeSafetensors(sample, { config: '{"d":4}' }).length);
  });

  it('rejects truncated and corrupt files with E_CHECKPOINT', () => {
    const bytes = encodeSafetensors(sample);
    expect(() => decodeSafetensors(bytes.subarray(0, 4))).toThrow(CheckpointError);
    expect(() => decodeSafetensors(bytes.subarray(0, 20))).toThrow(/header longer than the file/);
    const bad = bytes.slice();
    bad[9] = 0x7b;
    bad[8] = 0x21;
    expect(() => decodeSafetensors(bad)).toThrow(/not JSON/);
  });

  it('checks every byte range before reading: a file 4 bytes short, one with trailing bytes, offsets out of range', async () => {
    const bytes = encodeSafetensors(sample);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w')).toThrow(/\[E_CHECKPOINT\] Checkpoint 'w': is truncated: 'b\.weight' ends at data byte 40, but the file holds only 36 bytes/);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes);
    expect(() => decodeSafetensors(padded, 'w')).toThrow(/has 8 bytes after its last tensor/);
    const header = (h: object) => {
      let json = JSON.stringify(h);
      json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
      const head = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + head.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
      out.set(head, 8);
      return out;
    };
    expect(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }), 'w')).toThrow(/is truncated/);
    expect(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), 'w')).toThrow(/overlap or leave a gap/);
    expect(() => decodeSafetensors(header({ a: { dtype: 'F32', shape: 'x', data_offsets: [0, 16] } }), 'w')).toThrow(/malformed header entry 'a'/);
    expect(() => decodeSafetensors(header([1, 2]), 'w')).toThrow(/not a JSON object/);
  });

  it('checks a file on disk from its header and size alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-st-'));
    const bytes = encodeSafetensors(sample);
    await writeFile(join(dir, 'ok.safetensors'), bytes);
    await writeFile(join(dir, 'short.safetensors'), bytes.subarray(0, bytes.length - 4));
    await writeFile(join(dir, 'tiny.safetensors'), bytes.subarray(0, 3));
    expect((await checkSafetensorsFile(join(dir, 'ok.safetensors'))).map((e) => [e.name, e.start, e.end])).toEqual([['a.ids', 0, 16], ['b.weight', 16, 40]]);
    await expect(checkSafetensorsFile(join(dir, 'short.safetensors'))).rejects.toThrow(/short\.safetensors': is truncated/);
    await expect(checkSafetensorsFile(join(dir, 'tiny.safetensors'))).rejects.toThrow(/too short/);
    await expect(checkSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/could not be read/);
  });
});
