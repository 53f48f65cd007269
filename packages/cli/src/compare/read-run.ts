import { upgradeName, upgradeRecord, type RunRecord } from '@flatsparse/core';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { CompareError } from './compare-errors.js';

/** One run directory as `compare` reads it. */
export interface ComparedRun {
  /** The directory as given on the command line. */
  readonly dir: string;
  /** The run's name (config.json's `name`, else the directory's name). */
  readonly name: string;
  /** The run's seed, when its config says. */
  readonly seed?: number;
  /** What the run trained: '<model> on <data source>' ('unknown task' without a config). */
  readonly task: string;
  /**
   * The config without what differs between seeds of one experiment (name, seed, data.seed, backend,
   * output) and with plugin names of flatsparse 0.2 read under today's; undefined without config.json.
   */
  readonly setup?: Readonly<Record<string, unknown>>;
  /** metrics.jsonl, figure names of flatsparse 0.2 read under today's. */
  readonly records: readonly RunRecord[];
}

/** Files a run writes into its directory, any of which marks it as a run's. */
const RUN_MARKS = ['metrics.jsonl', 'config.json', 'run.json', 'report.html', 'checkpoints', 'model.safetensors'];

/** The run files in `dir` (none when it is not a directory or holds no run). */
async function runFilesIn(dir: string): Promise<string[]> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  return RUN_MARKS.filter((n) => names.has(n));
}

const HOW = "pass the directories 'flatsparse run' wrote (its --out; each holds metrics.jsonl, config.json and report.html)";

/** Reads a run directory for `compare`; throws CompareError when it is not one or cannot be read. */
export async function readRun(dir: string): Promise<ComparedRun> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new CompareError('E_COMPARE_NOT_A_RUN', `'${dir}' does not exist.`, { fix: `${HOW}, for example runs/vit-mnist-20261124-120000.` });
  if (!info.isDirectory()) {
    const inRun = (await runFilesIn(dirname(dir))).includes('metrics.jsonl');
    throw new CompareError('E_COMPARE_NOT_A_RUN', `'${dir}' is a file, not a run directory.`, { fix: inRun ? `pass its directory: flatsparse compare ${dirname(dir)} ...` : `${HOW}.` });
  }
  const files = await runFilesIn(dir);
  if (!files.includes('metrics.jsonl')) {
    if (files.length > 0) throw new CompareError('E_COMPARE_NO_RECORDS', `'${dir}' holds a run (${files.join(', ')}) but no metrics.jsonl: the run logged no record yet.`, { fix: "leave it out, or let it log its first records (resume it with 'flatsparse run <config> --resume <dir>')." });
    const inside = await runsBelow(dir);
    const fix = inside.length === 0 ? `${HOW}.` : `it holds ${inside.length} run director${inside.length === 1 ? 'y' : 'ies'} (${inside.slice(0, 3).map((d) => relative(process.cwd(), d) || '.').join(', ')}${inside.length > 3 ? ', ...' : ''}): pass them, for example flatsparse compare ${globOf(dir, inside)}.`;
    throw new CompareError('E_COMPARE_NOT_A_RUN', `'${dir}' is not a run directory: it has no metrics.jsonl.`, { fix });
  }
  const records = parseRecords(join(dir, 'metrics.jsonl'), await readFile(join(dir, 'metrics.jsonl'), 'utf8'));
  if (records.length === 0) throw new CompareError('E_COMPARE_NO_RECORDS', `'${join(dir, 'metrics.jsonl')}' is empty: the run logged no record yet.`, { fix: 'leave this run out, or let it log its first records (train.logEvery steps).' });
  const config = await readConfig(dir);
  const name = typeof config?.['name'] === 'string' ? config['name'] : basename(dir);
  const seed = typeof config?.['seed'] === 'number' ? config['seed'] : undefined;
  const model = (config?.['model'] as { kind?: unknown } | undefined)?.kind;
  const source = (config?.['data'] as { source?: unknown } | undefined)?.source;
  const task = typeof model === 'string' && typeof source === 'string' ? `${model} on ${source}` : 'unknown task';
  return { dir, name, ...(seed === undefined ? {} : { seed }), task, ...(config === undefined ? {} : { setup: setupOf(config) }), records };
}

/** The records of a metrics.jsonl; a line that is not a record throws E_COMPARE_CORRUPT_RUN naming it. */
export function parseRecords(file: string, text: string): RunRecord[] {
  const records: RunRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const bad = (why: string) =>
      new CompareError('E_COMPARE_CORRUPT_RUN', `${file}, line ${i + 1}: ${why}.`, {
        received: line.length > 120 ? `${line.slice(0, 120)}...` : line,
        expected: 'one JSON record per line: {"step": n, "split": "train" | "heldOut", "loss": x, "figures": {...}}',
        fix: 'the run rewrites metrics.jsonl whole, so the file was edited or damaged: restore it from a copy (metrics.csv holds the same values), or leave this run out.',
      });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw bad(`not JSON (${(err as Error).message})`);
    }
    const r = value as Partial<RunRecord> | null;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad('not a record object');
    if (typeof r.step !== 'number' || !Number.isFinite(r.step)) throw bad("no numeric 'step'");
    if (r.split !== 'train' && r.split !== 'heldOut') throw bad("'split' is neither 'train' nor 'heldOut'");
    if (typeof r.loss !== 'number' && r.loss !== null) throw bad("no numeric 'loss'");
    if (r.figures !== undefined && (typeof r.figures !== 'object' || r.figures === null)) throw bad("'figures' is not an object");
    for (const [key, f] of Object.entries(r.figures ?? {})) {
      if (typeof f !== 'object' || f === null || !Array.isArray((f as { perLayer?: unknown }).perLayer)) throw bad(`figure '${key}' has no 'mean' and 'perLayer'`);
    }
    records.push(upgradeRecord({ ...r, loss: r.loss ?? Number.NaN, figures: r.figures ?? {} } as RunRecord));
  });
  return records;
}

async function readConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  const file = join(dir, 'config.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CompareError('E_COMPARE_CORRUPT_RUN', `${file} is not a JSON object.`, {
    received: text.length > 120 ? `${text.slice(0, 120)}...` : text,
    fix: 'the run writes config.json whole when it starts, so the file was edited or damaged: restore it (run.json lists the same settings), or remove it to compare this run on its own, ungrouped.',
  });
}

/** The config with what varies between seeds of one experiment removed and legacy plugin names upgraded. */
function setupOf(config: Record<string, unknown>): Record<string, unknown> {
  const { name: _n, seed: _s, backend: _b, output: _o, ...rest } = config;
  const named = (ref: unknown): unknown => (typeof ref === 'string' ? upgradeName(ref) : typeof ref === 'object' && ref !== null && typeof (ref as { name?: unknown }).name === 'string' ? { ...ref, name: upgradeName((ref as { name: string }).name) } : ref);
  const out: Record<string, unknown> = { ...rest };
  if (typeof out['data'] === 'object' && out['data'] !== null) {
    const { seed: _d, ...data } = out['data'] as Record<string, unknown>;
    out['data'] = data;
  }
  if ('activation' in out) out['activation'] = named(out['activation']);
  for (const key of ['metrics', 'plugins', 'estimators']) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(named);
  return out;
}

/** Run directories one or two levels below `dir` (a sweep's or the demo's output folder). */
async function runsBelow(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      const sub = join(d, e.name);
      if ((await runFilesIn(sub)).includes('metrics.jsonl')) found.push(sub);
      else if (depth < 2) await walk(sub, depth + 1);
    }
  };
  await walk(dir, 1);
  return found;
}

/** A shell pattern for the runs found below `dir`: dir/* or dir/*\/* by their depth. */
function globOf(dir: string, runs: readonly string[]): string {
  const depths = new Set(runs.map((r) => relative(dir, r).split(/[\\/]/).length));
  return [...depths].sort().map((n) => join(dir, ...Array.from({ length: n }, () => '*'))).join(' ');
}
