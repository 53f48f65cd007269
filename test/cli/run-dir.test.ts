import { main } from '@flatsparse/cli';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, history, modelBytes, runJson, snapshot, tempDir, tinyConfig } from './run-dir-fixtures.js';

const made: string[] = [];
afterAll(() => cleanup(made));

async function flatsparse(...argv: string[]): Promise<{ code: number; text: string }> {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, text: io.text() };
}

/** A completed tiny run (12 steps, checkpoints every 3) in `<dir>/<name>`, with its config file. */
async function completedRun(name: string, config = tinyConfig()): Promise<{ dir: string; runDir: string; configPath: string }> {
  const dir = await tempDir('fs-rundir-', made);
  const configPath = await configFile(dir, 'c.yaml', config);
  const runDir = join(dir, name);
  const { code, text } = await flatsparse('run', configPath, '--out', runDir, '--quiet');
  expect(code, text).toBe(0);
  return { dir, runDir, configPath };
}

describe('a run directory has one owner and one history', () => {
  it('refuses a new run in a directory holding a run, naming it and the three choices, and touches nothing', async () => {
    const { dir, runDir } = await completedRun('run');
    const other = await configFile(dir, 'other.yaml', tinyConfig({ name: 'other', steps: 5 }));
    const before = await snapshot(runDir);
    const { code, text } = await flatsparse('run', other, '--out', runDir, '--quiet');
    expect(code).toBe(2);
    expect(text).toContain(`[E_CONFIG_INVALID] Invalid config at 'output.dir': '${runDir}' already holds a run`);
    expect(text).toMatch(/--resume .*--overwrite.*--out <new dir>/);
    expect(await snapshot(runDir)).toEqual(before);
  });

  it('--overwrite removes the earlier run (its checkpoints included) before the new one writes, and keeps files that are not the run', async () => {
    const { dir, runDir } = await completedRun('run');
    await writeFile(join(runDir, 'notes.txt'), 'mine');
    const other = await configFile(dir, 'other.yaml', tinyConfig({ name: 'other', steps: 4, checkpointEvery: 4 }));
    const { code, text } = await flatsparse('run', other, '--out', runDir, '--overwrite', '--quiet');
    expect(code, text).toBe(0);
    expect(text).toMatch(/replacing the earlier run \(removed events\.out\.tfevents\.\d+\.\S+, checkpoints, model\.safetensors, metrics\.jsonl/);
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual(['latest', 'step-00000004']);
    expect(await readFile(join(runDir, 'notes.txt'), 'utf8')).toBe('mine');
    expect((await history(runDir)).map((r) => (r as { step: number }).step)).toEqual([1, 3, 3]);
    expect(JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')).name).toBe('other');
  });

  it('--resume continues in the same directory; from an older checkpoint it drops the later ones and their history, and ends equal to the uninterrupted run', async () => {
    const full = await completedRun('full');
    const { runDir, configPath } = await completedRun('part');
    const { code, text } = await flatsparse('run', configPath, '--resume', join(runDir, 'checkpoints', 'step-00000006'), '--quiet');
    expect(code, text).toBe(0);
    expect(text).toContain(`resuming ${runDir} from step 6`);
    expect(text).toMatch(/dropped 2 later checkpoint\(s\)/);
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual((await readdir(join(full.runDir, 'checkpoints'))).sort());
    expect(await history(runDir)).toEqual(await history(full.runDir));
    expect((await modelBytes(runDir)).equals(await modelBytes(full.runDir))).toBe(true);
    const run = await runJson(runDir);
    expect(run.status).toBe('completed');
    expect(run.resumes).toEqual([expect.objectContaining({ fromStep: 6, droppedCheckpoints: 2 })]);
  });

  it.each([
    ['the seed', { seed: 4 }, /'seed': .*seed was 3, now 4/],
    ['the model', { d: 12 }, /'model': .*model was "vit .*\\"d\\":8.*now "vit .*\\"d\\":12/],
    ['the batch size', { batchSize: 4 }, /train\.batchSize was 8, now 4/],
  ])('refuses a resume that changes %s before any file is touched, unless --allow-changed (recorded in run.json)', async (_what, change, pattern) => {
    const { dir, runDir } = await completedRun('run', tinyConfig({ steps: 6 }));
    const changed = await configFile(dir, 'changed.yaml', tinyConfig({ steps: 9, ...change }));
    const before = await snapshot(runDir);
    const refused = await flatsparse('run', changed, '--resume', runDir, '--quiet');
    expect(refused.code).toBe(2);
    expect(refused.text).toMatch(pattern);
    expect(refused.text).toMatch(/Nothing was written.*--allow-changed/);
    expect(await snapshot(runDir)).toEqual(before);
    const allowed = await flatsparse('run', changed, '--resume', runDir, '--allow-changed', '--quiet');
    if ('d' in change) {
      // Another width cannot load the checkpoint's weights, allowed or not: found from the header, before writing.
      expect(allowed.code).toBe(2);
      expect(allowed.text).toMatch(/\[E_CHECKPOINT\] Checkpoint '.*step-00000006\/model\.safetensors': holds '.*' with shape \[.*8.*\], but this model's is .*Nothing was written/);
      expect(await snapshot(runDir)).toEqual(before);
      return;
    }
    expect(allowed.code, allowed.text).toBe(0);
    const resumes = (await runJson(runDir)).resumes as { changed?: { key: string }[] }[];
    expect(resumes[0]!.changed!.map((c) => c.key)).toEqual([Object.keys(change)[0] === 'batchSize' ? 'train.batchSize' : 'seed']);
  });

  it('refuses --resume with a different --out, and a resume from a truncated checkpoint, before writing anything', async () => {
    const { dir, runDir, configPath } = await completedRun('run');
    const elsewhere = await flatsparse('run', configPath, '--resume', runDir, '--out', join(dir, 'elsewhere'), '--quiet');
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.text).toMatch(/'--resume': .* is neither the run directory .*elsewhere/);
    await truncate(join(runDir, 'checkpoints', 'step-00000012', 'model.safetensors'), (await readFile(join(runDir, 'checkpoints', 'step-00000012', 'model.safetensors'))).length - 4);
    const before = await snapshot(runDir);
    const broken = await flatsparse('run', configPath, '--resume', runDir, '--quiet');
    expect(broken.code).toBe(2);
    expect(broken.text).toMatch(/\[E_CHECKPOINT\] Checkpoint '.*step-00000012\/model\.safetensors': is truncated/);
    expect(await snapshot(runDir)).toEqual(before);
  });

  it('every state a crash leaves is resumable: a checkpoint renamed but not yet published, leftovers of killed writes, no checkpoint at all', async () => {
    const full = await completedRun('full');
    const { runDir, configPath } = await completedRun('part');
    // Killed between renaming step-12 into place and publishing it, with leftovers of atomic writes.
    await writeFile(join(runDir, 'checkpoints', 'latest'), 'step-00000009\n');
    await rm(join(runDir, 'model.safetensors'));
    await writeFile(join(runDir, '.metrics.jsonl.0123456789ab.tmp'), '{"step":');
    await mkdir(join(runDir, 'checkpoints', '.step-00000012.0123456789ab.tmp'));
    const resumed = await flatsparse('run', configPath, '--resume', runDir, '--quiet');
    expect(resumed.code, resumed.text).toBe(0);
    expect(resumed.text).toContain(`resuming ${runDir} from step 9`);
    expect((await readdir(runDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readdir(join(runDir, 'checkpoints'))).sort()).toEqual((await readdir(join(full.runDir, 'checkpoints'))).sort());
    expect(await history(runDir)).toEqual(await history(full.runDir));
    expect((await modelBytes(runDir)).equals(await modelBytes(full.runDir))).toBe(true);
    // Killed before the first checkpoint was published: the run starts again from step 0 in place.
    await rm(join(runDir, 'checkpoints', 'latest'));
    await rm(join(runDir, 'model.safetensors'));
    const again = await flatsparse('run', configPath, '--resume', runDir, '--quiet');
    expect(again.code, again.text).toBe(0);
    expect(again.text).toContain(`no checkpoint in ${runDir} yet: starting from step 0`);
    expect(await history(runDir)).toEqual(await history(full.runDir));
    expect((await modelBytes(runDir)).equals(await modelBytes(full.runDir))).toBe(true);
  });

  it('flatness estimates taken at checkpoints belong to them: a resume keeps those before its checkpoint and takes the later ones again', async () => {
    const config = tinyConfig({ extra: 'estimators: [{ name: hessian-trace, every: 3, options: { probes: 3 } }]\nflatness: { batchSize: 4 }' });
    const estimates = async (runDir: string) =>
      (await readFile(join(runDir, 'flatness.jsonl'), 'utf8')).trim().split('\n').map((l) => {
        const { cost: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
    const full = await completedRun('full', config);
    const { runDir, configPath } = await completedRun('part', config);
    expect((await estimates(full.runDir)).map((r) => r.step)).toEqual([0, 3, 6, 9, 12]);
    const { code, text } = await flatsparse('run', configPath, '--resume', join(runDir, 'checkpoints', 'step-00000006'), '--quiet');
    expect(code, text).toBe(0);
    expect(await estimates(runDir)).toEqual(await estimates(full.runDir));
  });
});
