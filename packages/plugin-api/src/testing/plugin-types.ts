import type { Plugin } from '../plugin.js';
import type { FakeModelOptions } from './fixtures.js';

/** Outcome of one plugin check. */
export interface PluginCheckResult {
  /** Check name, for example 'hook order' or 'activation jsrelu'. */
  readonly name: string;
  readonly passed: boolean;
  /** What was checked and measured. */
  readonly detail?: string;
  /** The error the check threw, if any. */
  readonly error?: string;
}

/** What `runPluginConformance` returns. */
export interface PluginConformanceReport {
  /** Name of the plugin under test. */
  readonly plugin: string;
  readonly results: readonly PluginCheckResult[];
  readonly passed: boolean;
}

/** Options of the plugin suite. */
export interface PluginConformanceOptions {
  /** Seed of sampled points (default 1). */
  readonly seed?: number;
  /** Other plugins the plugin needs in its run (for example providers of tokens it gets); fresh ones per check. */
  readonly companions?: () => readonly Plugin[];
  /** Shape of the fake model the plugin runs against. */
  readonly model?: FakeModelOptions;
}

/** A named check of the plugin suite. */
export interface PluginCheck {
  readonly name: string;
  /** Runs the check; resolves with the outcome (a thrown error counts as a failure). */
  run(): Promise<{ readonly passed: boolean; readonly detail: string }>;
}
