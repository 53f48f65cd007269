import { ConfigError } from '@flatsparse/plugin-api';

/** Options both TensorFlow backends ('cuda' and 'tensorflow-cpu') accept. */
export interface TensorflowBackendOptions {
  /** Priority in 'auto' selection. */
  readonly priority?: number;
  /**
   * Folders to resolve the tfjs-node package from. Default: the current directory (the user's
   * project), then the location of @flatsparse/backend-cuda itself. Tests point it at a fake package.
   */
  readonly resolveFrom?: string | readonly string[];
  /** How long the child-process probe of `isAvailable()` may take, in ms (default 120000). */
  readonly probeTimeoutMs?: number;
}

type Check = (value: unknown) => string | undefined;

const CHECKS: Readonly<Record<string, Check>> = {
  priority: (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'a finite number'),
  resolveFrom: (v) =>
    (typeof v === 'string' && v.length > 0) || (Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'string' && d.length > 0))
      ? undefined
      : 'a folder path or a non-empty list of folder paths',
  probeTimeoutMs: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive number of milliseconds'),
  allowCpuFallback: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
};

/**
 * Checks the options a user passed to `factory` (unknown keys, wrong types) and throws a ConfigError
 * naming the option, before anything is probed. `extra` lists the keys beyond the shared ones.
 */
export function checkBackendOptions(factory: string, options: unknown, extra: readonly string[] = []): void {
  const where = (key: string) => `${factory}.${key}`;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(factory, 'options must be an object.', { received: options, fix: `call ${factory}() or ${factory}({ priority: 40 }).` });
  }
  const allowed = ['priority', 'resolveFrom', 'probeTimeoutMs', ...extra];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!allowed.includes(key)) {
      throw new ConfigError(where(key), `unknown option '${key}'.`, { received: key, expected: `one of ${allowed.join(', ')}`, fix: 'remove or rename it.' });
    }
    const expected = CHECKS[key]?.(value);
    if (expected !== undefined) throw new ConfigError(where(key), `must be ${expected}.`, { received: value, fix: `pass ${expected}, or leave '${key}' out for the default.` });
  }
}
