import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginLoadError, PluginNotFoundError } from './errors.js';

/** A module file to import and the package it belongs to. */
export interface PluginFile {
  /** Absolute path, symbolic links resolved. */
  readonly file: string;
  /** `name` of the package's package.json, if the file was found through a package. */
  readonly packageName?: string;
  /** `version` of that package.json. */
  readonly packageVersion?: string;
}

/** What to resolve and from where. */
export interface PluginResolution {
  /** Package name or path as written. */
  readonly specifier: string;
  /** Where it was written (for messages). */
  readonly source: string | undefined;
  /** Absolute directory lookups start from. */
  readonly from: string;
  /** Export conditions in force. */
  readonly conditions: ReadonlySet<string>;
}

interface Manifest {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly exports?: unknown;
  readonly main?: unknown;
}

/** A package name with an optional subpath: 'name', '@scope/name', 'name/sub/path'. */
const PACKAGE = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(\/.+)?$/i;

/** The export conditions in force: the given ones, node's --conditions / -C (and NODE_OPTIONS'), then 'import', 'node', 'default'. */
export function activeConditions(extra: readonly string[] = []): ReadonlySet<string> {
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS']?.split(/\s+/) ?? [])];
  const fromNode: string[] = [];
  args.forEach((arg, i) => {
    const inline = /^(?:--conditions|-C)=(.+)$/.exec(arg);
    if (inline) fromNode.push(inline[1]!);
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1] !== undefined) fromNode.push(args[i + 1]!);
  });
  return new Set([...extra, ...fromNode, 'import', 'node', 'default']);
}

/**
 * Finds the module file of a plugin specifier without importing anything: a path (relative to
 * `from`, absolute, or a file: URL; a directory is read as a package), or a package looked up in
 * `node_modules/<name>` of `from` and each parent, as Node does. Throws E_PLUGIN_NOT_FOUND naming
 * where it looked.
 */
export function resolvePluginFile(r: PluginResolution): PluginFile {
  const { specifier, from } = r;
  if (/^\.\.?([\\/]|$)/.test(specifier) || isAbsolute(specifier) || specifier.startsWith('file:')) {
    const path = specifier.startsWith('file:') ? filePath(r) : resolve(from, specifier);
    if (isDirectory(path)) return packageEntry(r, path, '.');
    if (!isFile(path)) throw notFound(r, `no file '${path}'.`, [path], `check the path; relative paths are relative to the config file's directory (${from}), and no extension is added (write './plugin.js').`);
    return { file: realpathSync(path) };
  }
  const match = PACKAGE.exec(specifier);
  if (!match) throw notFound(r, 'it is neither a package name nor a path.', [from], "name an installed package (flatsparse-plugin-x, @scope/name) or a path starting with './', '../' or '/'.");
  const [, name, sub] = match as unknown as [string, string, string | undefined];
  const searched: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const modules = join(dir, 'node_modules');
      searched.push(modules);
      if (isDirectory(join(modules, name))) return packageEntry(r, join(modules, name), sub === undefined ? '.' : `.${sub}`);
    }
    if (dirname(dir) === dir) break;
  }
  throw notFound(r, `no package '${name}' is installed where the config can see it.`, searched, `install it next to the config (pnpm add ${name}); for a file of your own, write a path starting with './' (relative to ${from}).`);
}

/** The entry of `subpath` ('.' or './x') of the package in `dir`: its exports, else main, else index.js. */
function packageEntry(r: PluginResolution, dir: string, subpath: string): PluginFile {
  const manifest = readManifest(r, dir);
  const packageName = typeof manifest?.name === 'string' ? manifest.name : undefined;
  const packageVersion = typeof manifest?.version === 'string' ? manifest.version : undefined;
  const found = (file: string): PluginFile => ({ file: realpathSync(file), ...(packageName === undefined ? {} : { packageName, packageVersion }) });
  const build = `build the package (run its build script, for example 'pnpm --dir ${dir} build'), or reinstall it.`;
  if (manifest?.exports !== undefined && manifest.exports !== null) {
    const target = exportsTarget(manifest.exports, subpath, r.conditions);
    if (target === undefined) {
      throw notFound(r, `the "exports" of its package.json have no entry for '${subpath}' under the conditions ${[...r.conditions].join(', ')}.`, [join(dir, 'package.json')], 'name a subpath the package exports (see its package.json), or pass the condition its exports need (node -C <condition>).');
    }
    const file = resolve(dir, target);
    if (!target.startsWith('./') || !file.startsWith(dir + sep)) throw notFound(r, `its export '${subpath}' points outside the package ('${target}').`, [file], "fix the package's exports, or report it to its authors.");
    if (!isFile(file)) throw notFound(r, `its entry '${target}' does not exist (is the package built?).`, [file], build);
    return found(file);
  }
  const main = typeof manifest?.main === 'string' ? manifest.main : undefined;
  const candidates =
    subpath !== '.'
      ? [join(dir, subpath)]
      : [...(main === undefined ? [] : [join(dir, main), join(dir, `${main}.js`), join(dir, main, 'index.js')]), join(dir, 'index.js')];
  const file = candidates.find(isFile);
  if (file !== undefined) return found(file);
  throw notFound(r, subpath === '.' ? 'the package has no entry file (is it built?).' : `the package has no file '${subpath.slice(2)}'.`, candidates, subpath === '.' ? build : 'check the subpath; no extension is added.');
}

function readManifest(r: PluginResolution, dir: string): Manifest | undefined {
  const path = join(dir, 'package.json');
  if (!isFile(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new PluginLoadError(r.specifier, r.source, path, err);
  }
}

/** The target of a subpath in package.json `exports` (a subpath map or bare conditions), with '*' patterns. */
function exportsTarget(exports: unknown, subpath: string, conditions: ReadonlySet<string>): string | undefined {
  const isMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  const map = (isMap ? exports : { '.': exports }) as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return conditionalTarget(map[subpath], conditions) ?? undefined;
  // As in Node, the pattern with the longest prefix before '*' wins.
  const patterns = Object.keys(map)
    .filter((key) => key.includes('*'))
    .sort((a, b) => b.indexOf('*') - a.indexOf('*'));
  for (const key of patterns) {
    const prefix = key.slice(0, key.indexOf('*'));
    const suffix = key.slice(key.indexOf('*') + 1);
    if (subpath.length < key.length - 1 || !subpath.startsWith(prefix) || !subpath.endsWith(suffix)) continue;
    return conditionalTarget(map[key], conditions)?.replaceAll('*', subpath.slice(prefix.length, subpath.length - suffix.length));
  }
  return undefined;
}

/** A string target, the first resolvable one of a fallback array, or that of the first key of a condition object in `conditions`; null excludes. */
function conditionalTarget(value: unknown, conditions: ReadonlySet<string>): string | null | undefined {
  if (typeof value === 'string' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => conditionalTarget(v, conditions)).find((t) => typeof t === 'string');
  if (typeof value !== 'object') return undefined;
  for (const [key, target] of Object.entries(value)) {
    if (!conditions.has(key)) continue;
    const resolved = conditionalTarget(target, conditions);
    if (resolved !== undefined) return resolved;
  }
  return undefined;
}

function filePath(r: PluginResolution): string {
  try {
    return fileURLToPath(r.specifier);
  } catch (err) {
    throw notFound(r, `it is not a valid file URL (${(err as Error).message}).`, [r.specifier], "write an absolute file URL (file:///...), or a path starting with './', '../' or '/'.");
  }
}

function notFound(r: PluginResolution, what: string, searched: readonly string[], fix: string): PluginNotFoundError {
  return new PluginNotFoundError(r.specifier, r.source, what, searched, fix);
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
