import { ConfigError, parseOptions } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { expandSweep, type PlannedRun } from './expand.js';
import { sweepSchema, type SweepFile } from './sweep-schema.js';

/** A sweep file read and expanded. */
export interface Sweep {
  /** Absolute path of the sweep file. */
  readonly path: string;
  readonly name: string;
  readonly file: SweepFile;
  /** Absolute output folder: the run directories and the sweep's own files (.sweep/, results.*). */
  readonly out: string;
  /** Where third-party plugins of the runs are looked up from (the base config's directory). */
  readonly configDir: string;
  readonly runs: readonly PlannedRun[];
}

/** What a command line may change in a sweep without changing its run ids. */
export interface SweepOverrides {
  /** Output folder (relative to the working directory). */
  readonly out?: string;
  readonly backend?: string;
  /** Changes to the file's content before validation (reproduce's flags). */
  readonly edit?: (value: Record<string, unknown>) => Record<string, unknown>;
}

async function readStructured(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read the ${what} '${path}'.`, { cause: err, fix: `check the path${what === 'sweep file' ? ' (docs/sweeps.md has an example)' : ''}.` });
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError('', `'${path}' is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { fix: 'fix the syntax at the position given.' });
  }
}

/**
 * Reads a sweep file (YAML or JSON), validates it (errors name the key and the accepted forms), reads
 * its base config file when `base` is a path (relative to the sweep file) and expands the runs.
 */
export async function loadSweep(path: string, overrides: SweepOverrides = {}): Promise<Sweep> {
  const abs = resolve(path);
  const raw = await readStructured(abs, 'sweep file');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('', 'a sweep file holds an object with base (or preset) and axes.', { received: raw, fix: 'see the example in docs/sweeps.md.' });
  const file = parseOptions(sweepSchema, overrides.edit ? overrides.edit(raw as Record<string, unknown>) : raw, { path: '', fix: 'see docs/sweeps.md for every key of a sweep file.' });
  const name = file.name ?? basename(abs, extname(abs));
  const here = dirname(abs);
  let base: Record<string, unknown> = {};
  let configDir = here;
  if (typeof file.base === 'string') {
    const basePath = isAbsolute(file.base) ? file.base : join(here, file.base);
    const value = await readStructured(basePath, 'base config');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('base', `'${basePath}' does not hold a config object.`, { received: value, fix: 'point base at a config file (configs/ holds examples) or write the config inline.' });
    base = value as Record<string, unknown>;
    configDir = dirname(basePath);
  } else if (file.base !== undefined) {
    base = file.base;
  }
  const out = overrides.out !== undefined ? resolve(overrides.out) : file.out !== undefined ? resolve(here, file.out) : resolve('runs', name);
  return { path: abs, name, file, out, configDir, runs: expandSweep(file, name, base, { out, backend: overrides.backend }) };
}
