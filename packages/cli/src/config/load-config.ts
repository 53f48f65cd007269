import { ConfigError, parseOptions } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { pipelineConfigSchema, type PipelineConfig } from './config-schema.js';

/** Validates a config object; errors point at the offending key (for example 'train.steps'). */
export function parseConfig(value: unknown): PipelineConfig {
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
