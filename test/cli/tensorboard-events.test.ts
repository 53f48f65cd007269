import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmBackend } from '@flatsparse/backend-wasm';
import { runPipeline, type PipelineSpec } from '@flatsparse/core';
import { syntheticImageDataset } from '@flatsparse/data';
import { builtinPlugins } from '@flatsparse/plugins';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';

// The TensorBoard event files of real runs, decoded by an independent reader: Python's protobuf
// runtime with the official event.proto / summary.proto (vendored unmodified in
// test/fixtures/tensorboard-proto, compiled here by protoc) and test/support/decode-tfevents.py,
// which checks every record's framing and both masked CRC32Cs with its own CRC. Needs Debian's
// python3-protobuf and protobuf-compiler (installed by .ci/run); skips with the reason without them.

const here = dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = join(here, '..', 'fixtures', 'tensorboard-proto');
const DECODER = join(here, '..', 'support', 'decode-tfevents.py');
const PYTHONS = ['/usr/bin/python3', 'python3'];
const PROTOCS = ['/usr/bin/protoc', 'protoc'];
const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import google.protobuf'], { encoding: 'utf8' }).status === 0);
const protoc = PROTOCS.find((p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0);
const reason = `${python ? '' : `no python3 with google.protobuf (tried ${PYTHONS.join(', ')}); `}${protoc ? '' : `no protoc (tried ${PROTOCS.join(', ')}); `}install Debian's python3-protobuf and protobuf-compiler`;
if (!python || !protoc) console.warn(`[skip] the TensorBoard event file tests: ${reason}`);

const state = await useBackend(wasmBackend());
const made: string[] = [];
let compiled = '';
beforeAll(async () => {
  if (!python || !protoc) return;
  compiled = await mkdtemp(join(tmpdir(), 'fs-tb-proto-'));
  made.push(compiled);
  const protos = (await readdir(join(PROTO_ROOT, 'tensorboard', 'compat', 'proto'))).filter((f) => f.endsWith('.proto')).map((f) => join('tensorboard', 'compat', 'proto', f));
  const r = spawnSync(protoc, [`--proto_path=${PROTO_ROOT}`, `--python_out=${compiled}`, ...protos], { cwd: PROTO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`protoc failed: ${r.stderr}`);
});
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

interface Decoded {
  records: number;
  bytes: number;
  events: { wall_time: number; step: number; what: string | null; file_version: string; values: { tag: string; value: number }[] }[];
}

/** The single event file of a run directory, decoded and checked by the Python reader. */
async function decode(runDir: string): Promise<Decoded & { name: string }> {
  const names = (await readdir(runDir)).filter((n) => n.includes('tfevents'));
  expect(names, 'one event file, and no temporary file TensorBoard would read').toHaveLength(1);
  const r = spawnSync(python!, [DECODER, compiled, join(runDir, names[0]!)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`decode-tfevents.py rejected ${names[0]!}: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as Decoded), name: names[0]! };
}

interface Rec {
  step: number;
  split: string;
  loss: number;
  accuracy?: number;
  lr?: number;
  lossTerms?: Record<string, number>;
  figures: Record<string, { mean: number; perLayer: number[] }>;
  wallMs: number;
}
interface Est {
  step: number;
  estimator: string;
  figures: Record<string, number>;
}
const jsonl = async <T>(file: string): Promise<T[]> => (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);

/** The scalars TensorBoard must show for a record, as docs/configs.md lists the tags (float32 values). */
function expectedOf(r: Rec): { tag: string; value: number }[] {
  const out = [{ tag: `${r.split}/loss`, value: r.loss }];
  if (r.accuracy !== undefined) out.push({ tag: `${r.split}/accuracy`, value: r.accuracy });
  if (r.lr !== undefined) out.push({ tag: `${r.split}/lr`, value: r.lr });
  for (const [t, v] of Object.entries(r.lossTerms ?? {})) out.push({ tag: `${r.split}/loss-term/${t}`, value: v });
  for (const [name, f] of Object.entries(r.figures)) {
    out.push({ tag: `${r.split}/${name}/mean`, value: f.mean });
    f.perLayer.forEach((v, l) => out.push({ tag: `${r.split}/${name}/layer${l}`, value: v }));
  }
  return out.map((s) => ({ tag: s.tag, value: Math.fround(s.value) }));
}

/** Checks a run directory's event file against its metrics.jsonl and flatness.jsonl; returns the decoded file. */
async function checkAgainstHistory(runDir: string): Promise<Decoded & { name: string }> {
  const decoded = await decode(runDir);
  const [first, ...rest] = decoded.events;
  expect(first).toMatchObject({ what: 'file_version', file_version: 'brain.Event:2', step: 0, values: [] });
  expect(rest.every((e) => e.what === 'summary' && e.values.length > 0)).toBe(true);
  const records = await jsonl<Rec>(join(runDir, 'metrics.jsonl'));
  const estimates = await jsonl<Est>(join(runDir, 'flatness.jsonl'));
  const recordEvents = rest.filter((e) => !e.values[0]!.tag.startsWith('flatness/'));
  const flatnessEvents = rest.filter((e) => e.values[0]!.tag.startsWith('flatness/'));
  expect(recordEvents.map((e) => ({ step: e.step, values: e.values }))).toEqual(records.map((r) => ({ step: r.step, values: expectedOf(r) })));
  expect(flatnessEvents.map((e) => ({ step: e.step, values: e.values }))).toEqual(
    estimates.map((r) => ({ step: r.step, values: Object.entries(r.figures).map(([f, v]) => ({ tag: `flatness/${r.estimator}/${f}`, value: Math.fround(v) })) })),
  );
  // Events in step order, no (tag, step) twice.
  const steps = rest.map((e) => e.step);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  const pairs = rest.flatMap((e) => e.values.map((v) => `${v.tag}@${e.step}`));
  expect(new Set(pairs).size).toBe(pairs.length);
  return decoded;
}

const dataset = syntheticImageDataset({ classes: 2, imageSize: 4, trainSize: 32, heldOutSize: 16 });
const plugin = (name: string, options?: unknown) => builtinPlugins.get(name)!.factory(options);

/** A tiny ViT (two blocks) for 8 steps: a record every step, an evaluation and a checkpoint every 4, a Hessian trace every 4. */
function spec(runDir: string, rest: Partial<PipelineSpec> = {}): PipelineSpec {
  return {
    backends: [wasmBackend()],
    backend: 'wasm',
    seed: 2,
    plugins: [plugin('relu'), plugin('activation-sparsity'), plugin('dead-neurons'), plugin('l1-activation', { weight: 1e-3 }), plugin('hessian-trace', { probes: 3 })],
    dataset,
    model: { kind: 'vit', config: { patch: 4, d: 8, depth: 2, heads: 2, mlpWidth: 8 } },
    activation: 'relu',
    metrics: ['activation-sparsity', 'dead-neurons'],
    estimators: [{ name: 'hessian-trace', every: 4 }],
    flatness: { batchSize: 8 },
    runDir,
    ...rest,
    train: { steps: 8, batchSize: 8, lr: 0.01, logEvery: 1, evalEvery: 4, checkpointEvery: 4 },
  };
}

describe.skipIf(!python || !protoc || !state.available)('TensorBoard event files of real runs, read with the official protos', () => {
  let runDir = '';
  let firstRun: Decoded & { name: string };
  let span: [number, number];

  it('a run writes events.out.tfevents.<seconds>.<host> holding every record and estimate at its step and wall time', async () => {
    runDir = join(await mkdtemp(join(tmpdir(), 'fs-tb-run-')), 'run');
    made.push(dirname(runDir));
    const start = Date.now() / 1000;
    await runPipeline(spec(runDir));
    span = [start, Date.now() / 1000];
    firstRun = await checkAgainstHistory(runDir);
    expect(firstRun.name).toMatch(/^events\.out\.tfevents\.\d{10}\.[^.].*$/);
    expect(Number(firstRun.name.split('.')[3])).toBe(Math.floor(firstRun.events[0]!.wall_time));

    const records = await jsonl<Rec>(join(runDir, 'metrics.jsonl'));
    // Records count steps from 0; estimates count steps completed (0: before the first step).
    expect(records.filter((r) => r.split === 'train').map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(records.filter((r) => r.split === 'heldOut').map((r) => r.step)).toEqual([3, 7]);
    expect((await jsonl<Est>(join(runDir, 'flatness.jsonl'))).map((r) => r.step)).toEqual([0, 4, 8]);
    const tags = new Set(firstRun.events.flatMap((e) => e.values.map((v) => v.tag)));
    for (const tag of ['train/loss', 'train/lr', 'train/loss-term/l1-activation', 'train/activation-sparsity.value/mean', 'train/activation-sparsity.value/layer1', 'heldOut/accuracy', 'heldOut/dead-neurons.value/layer0', 'flatness/hessian-trace/trace']) {
      expect(tags, tag).toContain(tag);
    }

    // Wall times: within the run, and as far apart as the records' own wall times say.
    const events = firstRun.events.slice(1);
    for (const e of events) expect(e.wall_time).toBeGreaterThanOrEqual(Math.floor(span[0]));
    for (const e of events) expect(e.wall_time).toBeLessThanOrEqual(span[1]);
    const train = events.filter((e) => e.values[0]!.tag === 'train/loss');
    const trainRecords = records.filter((r) => r.split === 'train');
    for (let i = 1; i < train.length; i++) {
      const apart = train[i]!.wall_time - train[0]!.wall_time;
      expect(Math.abs(apart - (trainRecords[i]!.wallMs - trainRecords[0]!.wallMs) / 1000)).toBeLessThan(0.25);
    }
  });

  it('a run resumed from an earlier checkpoint rewrites the same file: the kept history as it was, then the new records, no step twice', async () => {
    expect(firstRun).toBeDefined();
    await new Promise((r) => setTimeout(r, 1100));
    const start = Date.now() / 1000;
    await runPipeline(spec(runDir, { resumeFrom: join(runDir, 'checkpoints', 'step-00000004') }));
    const resumed = await checkAgainstHistory(runDir);
    expect(resumed.name).toBe(firstRun.name);

    const records = await jsonl<Rec>(join(runDir, 'metrics.jsonl'));
    expect(records.map((r) => `${r.split}@${r.step}`)).toEqual(['train@0', 'train@1', 'train@2', 'train@3', 'heldOut@3', 'train@4', 'train@5', 'train@6', 'train@7', 'heldOut@7']);
    // What the resume kept (the records of steps 0 to 3, the estimates after 0 and 4 steps) is as the first run wrote it, wall times included.
    const kept = (e: Decoded['events'][number]) => (e.values[0]?.tag.startsWith('flatness/') ? e.step <= 4 : e.step < 4);
    expect(resumed.events.filter(kept)).toEqual(firstRun.events.filter(kept));
    const fresh = resumed.events.filter((e) => !kept(e));
    expect(fresh.map((e) => `${e.values[0]!.tag.split('/')[0]}@${e.step}`)).toEqual(['train@4', 'train@5', 'train@6', 'train@7', 'heldOut@7', 'flatness@8']);
    for (const e of fresh) expect(e.wall_time).toBeGreaterThanOrEqual(start);
  });
});
