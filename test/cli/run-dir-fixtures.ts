import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** A tiny pipeline (a few hundred parameters, a second to train) for run directory tests; `extra` lines override keys. */
export function tinyConfig(over: { name?: string; seed?: number; d?: number; batchSize?: number; steps?: number; checkpointEvery?: number; train?: string; extra?: string } = {}): string {
  return `
name: ${over.name ?? 'tiny'}
seed: ${over.seed ?? 3}
model: { kind: vit, patch: 4, d: ${over.d ?? 8}, depth: 1, heads: 2, mlpWidth: 8 }
data: { source: synthetic-image, classes: 2, imageSize: 4, trainSize: 32, heldOutSize: 16 }
metrics: [activation-sparsity]
train: { steps: ${over.steps ?? 12}, batchSize: ${over.batchSize ?? 8}, lr: 0.01, logEvery: 2, evalEvery: 4, checkpointEvery: ${over.checkpointEvery ?? 3}${over.train ?? ''} }
${over.extra ?? ''}`;
}

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir(prefix: string, made: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the directories `tempDir` made. */
export async function cleanup(made: string[]): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Writes a config file into `dir` and returns its path. */
export async function configFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Every file below `dir` with its bytes and modification time: equal snapshots mean nothing was touched. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), `${(await stat(p)).mtimeMs} ${(await readFile(p)).toString('base64')}`);
    }
  };
  await walk(dir);
  return out;
}

/** The records of metrics.jsonl without their wall times (what must be equal between equal runs). */
export async function history(runDir: string): Promise<unknown[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const { wallMs: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

/** The bytes of a run's final model. */
export async function modelBytes(runDir: string): Promise<Buffer> {
  return readFile(join(runDir, 'model.safetensors'));
}

/** run.json of a run directory. */
export async function runJson(runDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
}
