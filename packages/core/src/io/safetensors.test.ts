import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
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
});
