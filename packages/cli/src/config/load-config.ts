import { ConfigError, parseOptions } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { pipelineConfigSchema, type PipelineConfig } from './config-schema.js';

/** Validates a config object; errors point at the offending key (for example 'train.steps'). */
export function parseConfig(value: unknown): PipelineConfig {
  if (value !== null && typeof value === 'object' && 'regularizers' in value) {
    const { regularizers: listed, ...rest } = value as { regularizers?: unknown };
    // An empty section is what 0.2 wrote into every config.json: dropped, so its runs still evaluate and resume.
    if (Array.isArray(listed) && listed.length === 0) return parseConfig(rest);
    const names = Array.isArray(listed) ? listed.map((r) => (typeof r === 'string' ? r : (r as { name?: unknown } | null)?.name)).filter((n): n is string => typeof n === 'string') : [];
    throw new ConfigError('regularizers', "the 'regularizers' section was removed in flatsparse 0.3: a regularizer is a plugin like any other.", {
      received: listed,
      fix: `move its entries${names.length ? ` (${names.join(', ')})` : ''} to 'plugins', unchanged (name and options).`,
    });
  }
  return parseOptions(pipelineConfigSchema, value, { path: '', fix: 'see docs/configs.md for every key, or start from a file in configs/.' });
}

/** Reads and validates a JSON or YAML config file. */
export async function loadConfigFile(path: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read the config file '${path}'.`, { cause: err, fix: 'check the path (configs/ holds examples).' });
  }
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError('', `'${path}' is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { fix: 'fix the syntax at the position given.' });
  }
  return parseConfig(value);
}
