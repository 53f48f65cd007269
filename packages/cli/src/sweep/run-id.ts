import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PipelineConfig } from '../config/config-schema.js';

/** The version of the flatsparse CLI (packages/cli/package.json; src/ and dist/ are both two levels below it). */
export const FLATSPARSE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A run's id: 12 hex digits of the SHA-256 of the resolved config (defaults applied) and the
 * flatsparse version. Left out: `backend` and `output.dir`, which say where a run runs and is written,
 * not what it computes (as run.json's identity, which a resume checks, leaves the backend out).
 */
export function runId(config: PipelineConfig, version: string = FLATSPARSE_VERSION): string {
  const { backend: _, output, ...rest } = config;
  const { dir: __, ...keptOutput } = output;
  return createHash('sha256').update(canonicalJson({ config: { ...rest, output: keptOutput }, version })).digest('hex').slice(0, 12);
}
