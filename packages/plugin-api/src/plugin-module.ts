import type { Plugin } from './plugin.js';

/**
 * The contract of a third-party plugin module, loaded by package name or path with `loadPlugin` (a
 * config's `plugins:` list). It is an ES module that exports:
 *
 * - as `default`, or else under the name `plugin`, either a {@link PluginFactory} (the usual form:
 *   `export default function fatrelu(options) { return { name, version, apiVersion, ... }; }`), or,
 *   for a plugin without options, the plugin object itself (giving such a plugin options is an
 *   E_PLUGIN_OPTIONS error);
 * - optionally `optionsSchema`, a {@link StandardSchemaV1} that validates the options before the
 *   factory sees them. zod (4), valibot and arktype schemas implement it, and so can a hand-written
 *   object: the plugin needs no particular validation library. Absent options are validated as `{}`,
 *   so defaults in the schema apply; the factory receives the schema's output. Without a schema the
 *   factory receives the options as written (undefined when there are none) and validates them itself.
 *
 * The plugin the factory returns is then checked like any other (`validatePlugin`: its shape, and its
 * `apiVersion` range against the running PLUGIN_API_VERSION).
 */
export interface PluginModule {
  /** The factory, or a plugin object for a plugin without options. */
  readonly default?: PluginFactory | Plugin;
  /** The same, for modules that prefer a named export (used when `default` is neither). */
  readonly plugin?: PluginFactory | Plugin;
  /** Schema of the factory's options (Standard Schema v1). */
  readonly optionsSchema?: StandardSchemaV1;
}

/** Creates a plugin from its options (validated by the module's `optionsSchema` if it has one). May be async. */
export type PluginFactory<Options = unknown> = (options?: Options) => Plugin | Promise<Plugin>;

/**
 * A Standard Schema v1 (https://standardschema.dev): any validator exposing `'~standard'`. This is a
 * copy of the specification's types, so core depends on no schema library.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard properties. */
  readonly '~standard': StandardSchemaV1Props<Input, Output>;
}

/** The properties under `'~standard'`. */
export interface StandardSchemaV1Props<Input = unknown, Output = Input> {
  /** Version of the standard (1). */
  readonly version: 1;
  /** Name of the schema library (for example 'zod'). */
  readonly vendor: string;
  /** Validates an unknown value; may return a promise. */
  readonly validate: (value: unknown, options?: { readonly libraryOptions?: Record<string, unknown> | undefined } | undefined) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>;
  /** Inferred input and output types (type-level only). */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** Result of `validate`: the output value, or the issues. */
export type StandardSchemaV1Result<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly StandardSchemaV1Issue[] };

/** One validation issue: a message and, if any, the path of the offending value. */
export interface StandardSchemaV1Issue {
  /** What is wrong (for example 'Expected number'). */
  readonly message: string;
  /** Keys from the validated value down to the offending one; each a key or `{ key }`. */
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}
