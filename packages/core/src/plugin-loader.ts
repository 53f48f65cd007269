import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginFactoryError, PluginLoadError, PluginNoFactoryError, PluginOptionsError } from './errors.js';
import { PluginInvalidError, validatePlugin } from '@flatsparse/plugin-api/host';
import type { Plugin, PluginFactory, StandardSchemaV1 } from '@flatsparse/plugin-api';
import { activeConditions, resolvePluginFile } from './plugin-resolution.js';

/** Where and how `loadPlugin` looks for a plugin. */
export interface LoadPluginOptions {
  /** Directory that relative paths and package lookups start from (a config's own directory). */
  readonly from: string;
  /** Options for the plugin's factory, validated by the module's `optionsSchema` if it exports one. */
  readonly options?: unknown;
  /** Where the specifier was written, for messages and option paths (for example 'plugins.0'). */
  readonly source?: string;
  /** Extra package-export conditions (besides node's --conditions, 'import', 'node' and 'default'). */
  readonly conditions?: readonly string[];
}

/** A loaded, validated plugin and where it came from. */
export interface LoadedPlugin {
  /** The plugin its factory created (checked by `validatePlugin`). */
  readonly plugin: Plugin;
  /** The package name or path as written. */
  readonly specifier: string;
  /** Where it was written (`options.source`, else the specifier). */
  readonly source: string;
  /** The module file that was imported (symbolic links resolved). */
  readonly file: string;
  /** Name of the package it came from (from its package.json), if any. */
  readonly packageName?: string;
  /** Version of that package, if any. */
  readonly packageVersion?: string;
  /** Source and origin for messages, for example 'plugins.0 (flatsparse-plugin-x@1.0.0)' or 'plugins.2 (./local/b.js)'. */
  readonly label: string;
}

/**
 * Loads a third-party plugin by package name ('flatsparse-plugin-x', '@scope/name', 'pkg/subpath') or
 * path ('./local/plugin.js', an absolute path, a file: URL), then checks it: the module exports a
 * factory (see PluginModule), the options pass its `optionsSchema`, the factory succeeds, and the
 * plugin is well formed with a core API range that includes this core (`validatePlugin`).
 *
 * Packages are looked up like Node does, in `node_modules/<name>` of `from` and each parent, through
 * their package.json `exports` (conditions: `options.conditions`, node's --conditions/-C, 'import',
 * 'node', 'default'; as in Node, the first matching key of the package's condition object wins) or
 * `main`, else index.js. Nothing but the named module is imported: node_modules is never scanned.
 *
 * Throws E_PLUGIN_NOT_FOUND, E_PLUGIN_LOAD, E_PLUGIN_NO_FACTORY, E_PLUGIN_OPTIONS, E_PLUGIN_FACTORY,
 * or validatePlugin's errors (E_PLUGIN_INVALID, E_PLUGIN_API_MISMATCH, E_EVENT_UNKNOWN). Name clashes
 * between plugins are the caller's to check, for example with `validatePlugins(plugins, labels)`.
 */
export async function loadPlugin(specifier: string, options: LoadPluginOptions): Promise<LoadedPlugin> {
  const { source } = options;
  const where = source === undefined ? specifier : `${specifier} (${source})`;
  const target = resolvePluginFile({ specifier, source, from: resolve(options.from), conditions: activeConditions(options.conditions) });
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ pathToFileURL(target.file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginLoadError(specifier, source, target.file, err);
  }
  const exported = pluginExport(module);
  if (exported === undefined) {
    throw new PluginNoFactoryError(specifier, source, target.file, Object.keys(module).sort().map((k) => `${k} (${typeof module[k]})`));
  }
  const schema = module['optionsSchema'];
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw new PluginInvalidError(where, "its 'optionsSchema' export is not a Standard Schema v1 object.", {
      received: schema,
      expected: "an object with '~standard': { version: 1, vendor, validate(value) } (a zod 4, valibot or arktype schema, for example)",
      fix: 'export a schema from a library that implements Standard Schema, or remove optionsSchema and validate options in the factory.',
    });
  }
  let plugin: unknown;
  if (typeof exported === 'function') {
    const value = schema === undefined ? options.options : await validateOptions(schema, options.options, specifier, source);
    try {
      plugin = await exported(value);
    } catch (err) {
      throw new PluginFactoryError(specifier, source, err);
    }
  } else {
    if (options.options !== undefined) {
      throw new PluginOptionsError(specifier, source, [{ path: optionPath(source, []), message: 'this plugin takes no options (its module exports a plugin object, not a factory)' }]);
    }
    plugin = exported;
  }
  const checked = validatePlugin(plugin, where);
  const origin = target.packageName === undefined ? specifier : `${target.packageName}@${target.packageVersion ?? '?'}`;
  return {
    plugin: checked,
    specifier,
    source: source ?? specifier,
    file: target.file,
    ...(target.packageName === undefined ? {} : { packageName: target.packageName, packageVersion: target.packageVersion }),
    label: source === undefined ? origin : `${source} (${origin})`,
  };
}

/** The factory or plugin object a module exports as `default`, else as `plugin`. */
function pluginExport(module: Record<string, unknown>): PluginFactory | object | undefined {
  for (const key of ['default', 'plugin']) {
    const value = module[key];
    if (typeof value === 'function') return value as PluginFactory;
    if (typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string') return value;
  }
  return undefined;
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof props === 'object' && props !== null && props.version === 1 && typeof props.validate === 'function';
}

async function validateOptions(schema: StandardSchemaV1, options: unknown, specifier: string, source: string | undefined): Promise<unknown> {
  let result;
  try {
    result = await schema['~standard'].validate(options === undefined ? {} : options);
  } catch (err) {
    throw new PluginFactoryError(specifier, source, err, 'its optionsSchema');
  }
  if (result.issues) throw new PluginOptionsError(specifier, source, result.issues.map((issue) => ({ path: optionPath(source, issue.path ?? []), message: issue.message })));
  return result.value;
}

function optionPath(source: string | undefined, path: readonly (PropertyKey | { readonly key: PropertyKey })[]): string {
  const keys = path.map((segment) => String(typeof segment === 'object' && segment !== null ? segment.key : segment));
  return [source === undefined ? 'options' : `${source}.options`, ...keys].join('.');
}
