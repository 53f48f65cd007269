import { FlatsparseError, type ErrorDetails } from '@flatsparse/plugin-api';
import { describeValue } from '@flatsparse/plugin-api/host';

/**
 * The engine's error classes, in one file (the plugin API's are in @flatsparse/plugin-api's errors.ts):
 * each has a stable `code` and a message with what was received, what was expected and how to fix it.
 */

/** The stable codes of the engine's errors. */
export type EngineErrorCode =
  | 'E_BACKEND_UNKNOWN'
  | 'E_BACKEND_INVALID'
  | 'E_NON_FINITE'
  | 'E_CHECKPOINT'
  | 'E_RUN_FILE'
  | 'E_RUN_LOCKED'
  | 'E_RUN_LOCK_LOST'
  | 'E_OUT_OF_MEMORY'
  | 'E_PLUGIN_NOT_FOUND'
  | 'E_PLUGIN_LOAD'
  | 'E_PLUGIN_NO_FACTORY'
  | 'E_PLUGIN_FACTORY'
  | 'E_PLUGIN_OPTIONS';

/** A backend name nobody registered. */
export class BackendUnknownError extends FlatsparseError {
  constructor(name: string, known: readonly string[]) {
    super('E_BACKEND_UNKNOWN', `Unknown backend '${name}'.`, {
      received: name,
      expected: `'auto' or one of ${known.join(', ')}`,
      fix: 'pick a listed backend (`flatsparse backends` shows them), or pass the backend package to the run.',
    });
  }
}

/** A backend descriptor does not have the required shape. */
export class BackendInvalidError extends FlatsparseError {
  constructor(name: string, what: string) {
    super('E_BACKEND_INVALID', `Backend descriptor '${name}' is invalid: ${what}`, {
      fix: 'build the descriptor with the backend package factory (for example wasmBackend()) or implement every member of Backend.',
    });
  }
}

/** A value that must be finite is NaN or infinite. */
export class NonFiniteError extends FlatsparseError {
  constructor(what: string, value: number, fix: string) {
    super('E_NON_FINITE', `${what} is not finite.`, { received: value, expected: 'a finite number', fix });
  }
}

/** A checkpoint could not be written or read (names the path). */
export class CheckpointError extends FlatsparseError {
  readonly path: string;
  constructor(path: string, what: string, details: ErrorDetails = {}) {
    super('E_CHECKPOINT', `Checkpoint '${path}': ${what}`, details);
    this.path = path;
  }
}

/**
 * A file or directory of a run could not be read or written because of the file system: permissions, a
 * read-only or full disk, a file where a directory is needed. Names the path, the operation and the
 * system error (`systemCode`, for example 'ENOSPC'). Its code is E_RUN_FILE: a file or directory a run
 * writes or reads could not be (full or read-only disk, no permission, not a directory, a pseudo file
 * system); E_CHECKPOINT is a file that was read but is not a valid checkpoint or model.
 */
export class RunFileError extends FlatsparseError {
  readonly path: string;
  /** What was attempted ('write', 'create the directory', 'read', ...). */
  readonly operation: string;
  /** The system error code (ENOSPC, EROFS, EACCES, ENOTDIR, ...), when there is one. */
  readonly systemCode: string | undefined;
  /** What is wrong, without the path (for re-raising under another path). */
  readonly reason: string;
  constructor(path: string, operation: string, what: string, details: ErrorDetails & { readonly systemCode?: string } = {}) {
    super('E_RUN_FILE', `Cannot ${operation} '${path}': ${what}`, details);
    this.path = path;
    this.reason = what;
    this.operation = operation;
    this.systemCode = details.systemCode;
  }
}

/** A training step produced a non-finite loss or gradient; names the step and the last good checkpoint. */
export class NonFiniteStepError extends FlatsparseError {
  readonly step: number;
  readonly lastCheckpoint: string | undefined;
  constructor(step: number, what: string, lastCheckpoint: string | undefined) {
    super('E_NON_FINITE', `Training stopped at step ${step}: ${what} is not finite (NaN or Infinity). Last good checkpoint: ${lastCheckpoint ?? 'none written yet'}.`, {
      fix: 'lower the learning rate, enable gradient clipping (clipNorm), or check the data and any custom plugin for NaN; resume from the last checkpoint with --resume.',
    });
    this.step = step;
    this.lastCheckpoint = lastCheckpoint;
  }
}

/**
 * Base of the errors of loading a plugin named in a config by package name or path; `specifier` is
 * the name as written and `source` where it was written (for example 'plugins.0').
 */
export class PluginLoadingError extends FlatsparseError {
  readonly specifier: string;
  readonly source: string | undefined;
  constructor(code: EngineErrorCode, specifier: string, source: string | undefined, what: string, details: ErrorDetails = {}) {
    super(code, `Plugin '${specifier}'${source === undefined ? '' : ` (${source})`} ${what}`, details);
    this.specifier = specifier;
    this.source = source;
  }
}

/** A plugin package or file cannot be found, or a found package has no resolvable entry; names where the loader looked. */
export class PluginNotFoundError extends PluginLoadingError {
  readonly searched: readonly string[];
  constructor(specifier: string, source: string | undefined, what: string, searched: readonly string[], fix: string) {
    super('E_PLUGIN_NOT_FOUND', specifier, source, `was not found: ${what} Looked in: ${searched.join(', ')}.`, { fix });
    this.searched = searched;
  }
}

/** Importing a plugin module threw (a syntax error, a missing dependency, an error at top level). */
export class PluginLoadError extends PluginLoadingError {
  readonly file: string;
  constructor(specifier: string, source: string | undefined, file: string, cause: unknown) {
    super('E_PLUGIN_LOAD', specifier, source, `failed to load from '${file}': ${cause instanceof Error ? cause.message : describeValue(cause)}`, {
      fix: 'fix the error in the module (see the cause), and check that its dependencies (for example @flatsparse/core) are installed.',
      cause,
    });
    this.file = file;
  }
}

/** A plugin module exports neither a factory nor a plugin object as `default` or `plugin`; lists what it does export. */
export class PluginNoFactoryError extends PluginLoadingError {
  readonly file: string;
  constructor(specifier: string, source: string | undefined, file: string, exports: readonly string[]) {
    super('E_PLUGIN_NO_FACTORY', specifier, source, `exports no plugin factory ('${file}').`, {
      received: exports.length ? `exports ${exports.join(', ')}` : 'no exports',
      expected: "a default export (or an export named 'plugin') that is a factory (options) => Plugin, or a plugin object",
      fix: 'export the factory: `export default function myPlugin(options) { return { name, version, apiVersion, ... }; }` (see docs/configs.md, "Third-party plugins").',
    });
    this.file = file;
  }
}

/** A plugin factory (or the plugin's options schema) threw. */
export class PluginFactoryError extends PluginLoadingError {
  constructor(specifier: string, source: string | undefined, cause: unknown, during = 'its factory') {
    super('E_PLUGIN_FACTORY', specifier, source, `failed: ${during} threw: ${cause instanceof Error ? cause.message : describeValue(cause)}`, {
      fix: "check the options given to it against the plugin's documentation; if they are right, report the error to the plugin's authors.",
      cause,
    });
  }
}

/**
 * A plugin's options were rejected by the schema the plugin publishes (`optionsSchema`); `issues` lists
 * every problem with the option's full path (for example 'plugins.0.options.threshold').
 */
export class PluginOptionsError extends PluginLoadingError {
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  constructor(specifier: string, source: string | undefined, issues: readonly { readonly path: string; readonly message: string }[]) {
    super('E_PLUGIN_OPTIONS', specifier, source, `rejected its options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`, {
      fix: "fix the listed options (see the plugin's README for what it accepts).",
    });
    this.issues = issues;
  }
}
