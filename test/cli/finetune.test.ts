import { decodeSafetensors } from '@flatsparse/core';
import { main } from '@flatsparse/cli';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

const common = `
seed: 2
model: { kind: vit, patch: 4, d: 16, depth: 2, heads: 2, mlpWidth: 32 }
data: { source: synthetic-image, classes: 3, imageSize: 8, trainSize: 64, heldOutSize: 32 }
`;

describe('fine-tuning path: a saved vanilla ReLU model sparsified with the fine-tuning variants', () => {
  it('starts from the saved weights and adds only the zeroth-bias tables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-ft-'));
    await writeFile(join(dir, 'vanilla.yaml'), `${common}name: v\nactivation: relu\ntrain: { steps: 8, batchSize: 16, lr: 0.01 }\n`);
    const io = recordingIo();
    expect(await main(['run', join(dir, 'vanilla.yaml'), '--out', join(dir, 'vanilla'), '--quiet'], io)).toBe(0);
    await writeFile(
      join(dir, 'ft.yaml'),
      `${common}name: ft
init: { weights: ${join(dir, 'vanilla', 'model.safetensors')} }
activation: { name: j-squared-relu, options: { mix: { steps: 4 } } }
plugins: [zeroth-bias, { name: restricted-layer-norm, options: { mode: finetune, rampSteps: 4 } }]
train: { steps: 3, batchSize: 16, lr: 0 }
`,
    );
    const code = await main(['run', join(dir, 'ft.yaml'), '--out', join(dir, 'ft'), '--quiet'], io);
    expect(code, io.text()).toBe(0);
    const load = async (d: string) => decodeSafetensors(new Uint8Array(await readFile(join(dir, d, 'model.safetensors')))).tensors;
    const vanilla = await load('vanilla');
    const ft = await load('ft');
    // With a zero learning rate nothing but the projections can move a parameter: every weight is the
    // vanilla model's, the LayerNorm shifts are frozen with their trained values, and the new tables
    // are zero.
    for (const [name, t] of vanilla) {
      if (/blocks\.\d\.ln2\.scale/.test(name)) continue; // M2's ramp may raise |gamma|
      expect([...ft.get(name)!.data], name).toEqual([...t.data]);
    }
    const added = [...ft.keys()].filter((n) => !vanilla.has(n));
    expect(added.sort()).toEqual(['blocks.0.mlp.zeroth_bias', 'blocks.1.mlp.zeroth_bias']);
    for (const n of added) expect([...ft.get(n)!.data].every((v) => v === 0)).toBe(true);
    for (const i of [0, 1]) {
      const before = vanilla.get(`blocks.${i}.ln2.scale`)!.data;
      const after = ft.get(`blocks.${i}.ln2.scale`)!.data;
      // After 3 of 4 ramp steps: |gamma| >= 3/4 with signs kept, and untouched where already above.
      after.forEach((g, j) => {
        expect(Math.abs(g)).toBeGreaterThanOrEqual(0.75 - 1e-6);
        expect(Math.sign(g) || 1).toBe(Math.sign(before[j]!) || 1);
        if (Math.abs(before[j]!) >= 0.75) expect(g).toBe(before[j]);
      });
    }
  });
});
