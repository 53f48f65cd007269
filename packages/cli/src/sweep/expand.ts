import { ConfigError } from '@flatsparse/plugin-api';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { reproduceConfig, REPRODUCE_AXES } from './reproduce-preset.js';
import { runId } from './run-id.js';
import type { AxisInput, SweepFile } from './sweep-schema.js';

/** One value of an axis: its label (in tables, run names and directories) and what it does to a config. */
interface AxisValue {
  readonly label: string;
  apply(config: Record<string, unknown>): Record<string, unknown>;
}

/** One run of a sweep: its place in the grid, its config, its id and its directory. */
export interface PlannedRun {
  /** Position in the expansion (the Slurm array index, `sweep run-task <sweep> <index>`). */
  readonly index: number;
  readonly id: string;
  /** Axis name -> the value's label, in the axes' order. */
  readonly labels: Readonly<Record<string, string>>;
  readonly config: PipelineConfig;
  /** Absolute directory of the run. */
  readonly runDir: string;
}

/** A run's labels as `axis=value, ...` (for messages). */
export function runLabel(run: PlannedRun): string {
  return Object.entries(run.labels).map(([a, l]) => `${a}=${l}`).join(', ');
}

/** Merges `patch` into `base`: objects key by key, anything else (arrays included) replaces; null removes a key. */
export function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = mergePatch(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}

/** Sets a dotted key (`train.lr`), creating the objects on the way. */
function setKey(config: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = key.split('.');
  if (rest.length === 0) return { ...config, [head!]: value };
  const inner = isObject(config[head!]) ? (config[head!] as Record<string, unknown>) : {};
  return { ...config, [head!]: setKey(inner, rest.join('.'), value) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The values of one axis (see axisSchema for the three forms). */
function axisValues(name: string, axis: AxisInput): AxisValue[] {
  if (Array.isArray(axis)) return axis.map((v) => ({ label: String(v), apply: (c) => setKey(c, name, v) }));
  if ('key' in axis && 'values' in axis && Array.isArray(axis.values)) {
    const keys = Array.isArray(axis.key) ? axis.key : [axis.key as string];
    return axis.values.map((v) => ({ label: String(v), apply: (c) => keys.reduce((acc, k) => setKey(acc, k, v), c) }));
  }
  return Object.entries(axis as Record<string, Record<string, unknown>>).map(([label, p]) => ({ label, apply: (c) => mergePatch(c, p) }));
}

/** Every combination of the axes' values, the first axis outermost. */
function grid(axes: readonly (readonly [string, AxisValue[]])[]): Record<string, AxisValue>[] {
  return axes.reduce<Record<string, AxisValue>[]>((combos, [name, values]) => combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v }))), [{}]);
}

const safe = (label: string) => label.replace(/[^A-Za-z0-9._-]+/g, '-');

/** Options applied to every run of a sweep at expansion (they do not change the run ids). */
export interface ExpandOptions {
  /** Absolute output folder of the sweep. */
  readonly out: string;
  readonly backend?: string;
}

/**
 * Expands a sweep into its runs: every combination of the axes' values applied to the base config (or
 * to the reproduce preset's config of the task, arm and seed), validated as a pipeline config (errors
 * name the run and the key), with its id and its directory under `out`.
 */
export function expandSweep(file: SweepFile, name: string, base: Record<string, unknown>, options: ExpandOptions): PlannedRun[] {
  const preset = file.preset;
  for (const [, key] of file.runDir.matchAll(/\{([^}]*)\}/g)) {
    if (key !== 'id' && !(key! in file.axes)) throw new ConfigError('runDir', `'{${key}}' is neither {id} nor an axis.`, { received: file.runDir, expected: `a template of {id} and the axes ${Object.keys(file.axes).map((a) => `{${a}}`).join(', ')}`, fix: "use for example runDir: '{arm}/seed-{seed}', or leave it out ('{id}')." });
  }
  const axes = Object.entries(file.axes).map(([axis, spec]) => [axis, preset && REPRODUCE_AXES.includes(axis) ? presetValues(axis, spec) : axisValues(axis, spec)] as const);
  const excluded = exclusion(file);
  const runs = grid(axes).filter((combo) => !excluded(combo)).map((combo, index) => {
    const labels = Object.fromEntries(Object.entries(combo).map(([axis, v]) => [axis, v.label]));
    // Runs are named after the base config (else the sweep) and their labels: tiny-m3-1.
    const start = preset ? mergePatch(reproduceConfig(preset, labels, `axes`), base) : { ...base, name: [typeof base['name'] === 'string' ? base['name'] : name, ...Object.values(labels).map(safe)].join('-') };
    const patched = Object.entries(combo).reduce((c, [axis, v]) => (preset && REPRODUCE_AXES.includes(axis) ? c : v.apply(c)), start);
    let config: PipelineConfig;
    try {
      config = parseConfig(options.backend === undefined ? patched : { ...patched, backend: options.backend });
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(err.path, `${err.reason} (in run ${index} of the sweep: ${Object.entries(labels).map(([a, l]) => `${a}=${l}`).join(', ')})`, err.details);
      throw err;
    }
    const id = runId(config);
    const dir = file.runDir.replace(/\{([^}]+)\}/g, (_, key: string) => (key === 'id' ? id : safe(labels[key]!)));
    return { index, id, labels, config, runDir: join(options.out, dir) };
  });
  const dirs = new Map<string, PlannedRun>();
  for (const run of runs) {
    const other = dirs.get(run.runDir);
    if (other) throw new ConfigError('runDir', `runs ${other.index} and ${run.index} would share the directory ${run.runDir}.`, { received: file.runDir, expected: 'a template that tells every run apart', fix: 'add the axes that differ ({id} always does).' });
    dirs.set(run.runDir, run);
  }
  return runs;
}

/** Whether a combination matches one of the file's `exclude` entries (every axis the entry names has one of its values). */
function exclusion(file: SweepFile): (combo: Record<string, AxisValue>) => boolean {
  file.exclude.forEach((entry, i) => {
    for (const axis of Object.keys(entry)) {
      if (!(axis in file.axes)) throw new ConfigError(`exclude.${i}.${axis}`, `'${axis}' is not an axis of the sweep.`, { received: axis, expected: `one of the axes ${Object.keys(file.axes).join(', ')}`, fix: 'name an axis of the file in each exclude entry, with the labels to leave out.' });
    }
  });
  const entries = file.exclude.map((entry) => Object.entries(entry).map(([axis, v]) => [axis, new Set((Array.isArray(v) ? v : [v]).map(String))] as const));
  return (combo) => entries.some((entry) => entry.every(([axis, labels]) => labels.has(combo[axis]!.label)));
}

/** The preset's axes name tasks, arms and seeds: labels only (the preset builds the config from them). */
function presetValues(axis: string, spec: AxisInput): AxisValue[] {
  if (!Array.isArray(spec)) throw new ConfigError(`axes.${axis}`, `with preset 'reproduce', '${axis}' is a list of names.`, { received: spec, expected: `a list, for example ${axis === 'seed' ? '[0, 1, 2]' : axis === 'task' ? '[vit-mnist, gpt-moby-dick]' : '[vanilla, m3-jsrelu]'}`, fix: `write ${axis} as a list.` });
  return spec.map((v) => ({ label: String(v), apply: (c) => c }));
}
