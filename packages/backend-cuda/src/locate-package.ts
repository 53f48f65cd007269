import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An installed tfjs-node(-gpu) package, found without loading it. */
export interface LocatedPackage {
  /** The package folder. */
  readonly dir: string;
  /** Its package.json version. */
  readonly version: string;
  /** The native addons present (lib/napi-v<N>/tfjs_binding.node), relative to `dir`. */
  readonly bindings: readonly string[];
  /** Whether the libtensorflow its install script downloads is in deps/lib ('unchecked' off Linux/macOS). */
  readonly libtensorflow: 'found' | 'missing' | 'unchecked';
}

/**
 * The folders a package is resolved from: the given ones, or else the user's project (the current
 * directory) and then this package's own location (which covers installs side by side with flatsparse).
 */
export function resolutionRoots(resolveFrom: string | readonly string[] | undefined): string[] {
  if (resolveFrom !== undefined) return (typeof resolveFrom === 'string' ? [resolveFrom] : [...resolveFrom]).map((d) => resolve(d));
  return [process.cwd(), dirname(fileURLToPath(import.meta.url))];
}

/**
 * Finds `packageName` from the first root that resolves it, reading only files (package.json, folder
 * listings): nothing is required, so nothing is loaded or registered. Undefined when not installed.
 */
export function locatePackage(packageName: string, roots: readonly string[]): LocatedPackage | undefined {
  for (const root of roots) {
    let manifest: string;
    try {
      manifest = createRequire(join(root, '__flatsparse_resolve__.js')).resolve(`${packageName}/package.json`);
    } catch {
      continue;
    }
    const dir = dirname(manifest);
    const version = readVersion(manifest);
    return { dir, version, bindings: findBindings(dir), libtensorflow: findLibtensorflow(dir) };
  }
  return undefined;
}

function readVersion(manifest: string): string {
  try {
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function findBindings(dir: string): string[] {
  return listDir(join(dir, 'lib'))
    .filter((entry) => /^napi-v\d+$/.test(entry) && existsSync(join(dir, 'lib', entry, 'tfjs_binding.node')))
    .map((entry) => `lib/${entry}/tfjs_binding.node`);
}

function findLibtensorflow(dir: string): LocatedPackage['libtensorflow'] {
  const os = platform();
  if (os !== 'linux' && os !== 'darwin') return 'unchecked';
  const pattern = os === 'linux' ? /^libtensorflow\.so/ : /^libtensorflow(\.\d+)?\.dylib$/;
  return listDir(join(dir, 'deps', 'lib')).some((f) => pattern.test(f)) ? 'found' : 'missing';
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
