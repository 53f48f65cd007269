import { main } from '@flatsparse/cli';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';

describe('flatsparse reproduce --quick', () => {
  it('runs every arm on both tasks and reports relative changes and verdicts consistent with the runs', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'fs-repro-')), 'r');
    const io = recordingIo();
    expect(await main(['reproduce', '--quick', '--out', out], io)).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.map((t: { task: string }) => t.task)).toEqual(['vit-mnist', 'gpt-moby-dick']);
    for (const task of summary) {
      expect(task.arms.map((a: { arm: string }) => a.arm)).toEqual(['vanilla', 'M1 zeroth-bias', 'M2 restricted-LN', 'M3 JSReLU', 'sparsified']);
      const vanilla = task.arms[0];
      for (const arm of task.arms) {
        // Recompute the relative changes from the reported sparsities, independently of the code.
        const s = arm.inferenceActivationSparsity.mean;
        const v = vanilla.inferenceActivationSparsity.mean;
        expect(arm.vsVanilla.inferenceSparsityGain).toBeCloseTo(s / v - 1, 10);
        expect(arm.vsVanilla.inferenceDensityReduction).toBeCloseTo(1 - (1 - s) / (1 - v), 10);
        expect(s).toBeGreaterThan(0);
        expect(s).toBeLessThan(1);
        expect(arm.curves.asK.length).toBeGreaterThan(1);
        // ReLU arms: derivative sparsity equals activation sparsity.
        if (!arm.arm.includes('JSReLU') && arm.arm !== 'sparsified') expect(Math.abs(arm.inferenceDerivativeSparsity.mean - s)).toBeLessThan(1e-3);
      }
      const headline = task.claims.find((c: { claim: string }) => c.claim.startsWith('Headline'));
      const all = task.arms[4].vsVanilla;
      expect(headline.verdict).toBe(all.inferenceSparsityGain >= 0.36 && all.trainSparsityGain >= 0.5 ? 'supported' : 'not supported');
    }
    const md = await readFile(join(out, 'reproduction.md'), 'utf8');
    expect(md).toContain('### vit-mnist');
    expect(md).toContain('### gpt-moby-dick');
    expect(md).toMatch(/\| Headline: .* \| \*\*(supported|not supported)\*\* \|/);
    const html = await readFile(join(out, 'reproduction.html'), 'utf8');
    expect(html).toContain('aria-label="vit-mnist: AS_K (augmented flatness)"');
    expect(html).toContain('aria-label="gpt-moby-dick: AS_K / c0"');
  }, 300_000);

  it('rejects unknown tasks', async () => {
    const io = recordingIo();
    expect(await main(['reproduce', '--quick', '--tasks', 'imagenet'], io)).toBe(2);
    expect(io.text()).toMatch(/unknown task 'imagenet'.*vit-mnist, gpt-moby-dick/);
  });
});
