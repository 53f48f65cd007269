import { loadPlugin, type LoadPluginOptions } from '@flatsparse/core';
import { PLUGIN_API_VERSION, FlatsparseError } from '@flatsparse/plugin-api';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { pluginProject } from './fixtures/plugins/project.js';

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<FlatsparseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the load to fail').toBeInstanceOf(FlatsparseError);
  return err as FlatsparseError;
}

describe('loadPlugin', () => {
  let dir: string;
  let at: (extra?: Partial<LoadPluginOptions>) => LoadPluginOptions;
  beforeAll(async () => {
    dir = await pluginProject();
    at = (extra = {}) => ({ from: dir, source: 'plugins.0', ...extra });
  });

  describe('finds plugins by package name and by path', () => {
    it('loads a package through its exports, skipping conditions not in force, and passes the options', async () => {
      const loaded = await loadPlugin('flatsparse-plugin-a', at({ options: { k: 3 } }));
      expect(loaded.plugin.name).toBe('flatsparse-plugin-a');
      expect((loaded.plugin as unknown as { options: unknown }).options).toEqual({ k: 3 });
      expect(loaded).toMatchObject({ specifier: 'flatsparse-plugin-a', source: 'plugins.0', packageName: 'flatsparse-plugin-a', packageVersion: '1.0.0' });
      expect(loaded.file).toBe(join(dir, 'node_modules', 'flatsparse-plugin-a', 'index.js'));
      expect(loaded.label).toBe('plugins.0 (flatsparse-plugin-a@1.0.0)');
    });

    it('looks in the node_modules of every parent of the config directory', async () => {
      const loaded = await loadPlugin('flatsparse-plugin-a', at({ from: join(dir, 'configs', 'deep') }));
      expect(loaded.file).toBe(join(dir, 'node_modules', 'flatsparse-plugin-a', 'index.js'));
    });

    it('honours extra export conditions and subpath exports (factory exported as `plugin`)', async () => {
      expect((await loadPlugin('flatsparse-plugin-a', at({ conditions: ['fixture-alt'] }))).plugin.name).toBe('flatsparse-plugin-a-alt');
      const extra = await loadPlugin('flatsparse-plugin-a/extra', at());
      expect(extra.plugin.name).toBe('flatsparse-plugin-a-extra');
      expect(extra.file).toBe(join(dir, 'node_modules', 'flatsparse-plugin-a', 'extra.js'));
    });

    it('loads a scoped package through `main`, whose default export is a plugin object', async () => {
      const loaded = await loadPlugin('@fixture/flatsparse-plugin-scoped', at({ source: undefined }));
      expect(loaded.plugin.name).toBe('@fixture/flatsparse-plugin-scoped');
      expect(loaded.file).toBe(join(dir, 'node_modules', '@fixture', 'flatsparse-plugin-scoped', 'lib', 'main.js'));
      expect(loaded.label).toBe('@fixture/flatsparse-plugin-scoped@0.3.0');
      expect(loaded.source).toBe('@fixture/flatsparse-plugin-scoped');
    });

    it('loads a file by relative path, absolute path and file: URL', async () => {
      const file = join(dir, 'local', 'good.mjs');
      const relative = await loadPlugin('../../local/good.mjs', at({ from: join(dir, 'configs', 'deep'), options: { x: 1 } }));
      expect(relative).toMatchObject({ file, label: 'plugins.0 (../../local/good.mjs)' });
      expect(relative.packageName).toBeUndefined();
      expect((relative.plugin as unknown as { options: unknown }).options).toEqual({ x: 1 });
      expect((await loadPlugin(file, at())).plugin.name).toBe('local-good');
      expect((await loadPlugin(pathToFileURL(file).href, at())).plugin.name).toBe('local-good');
    });
  });

  describe('gives each failure its own error, naming the specifier, where it looked and a fix', () => {
    it('E_PLUGIN_NOT_FOUND for a package that is not installed, listing the node_modules searched', async () => {
      const err = await failure(loadPlugin('flatsparse-plugin-missing', at({ from: join(dir, 'configs') })));
      expect(err.code).toBe('E_PLUGIN_NOT_FOUND');
      expect(err.message).toContain("Plugin 'flatsparse-plugin-missing' (plugins.0) was not found");
      expect(err.message).toContain(`${join(dir, 'configs', 'node_modules')}, ${join(dir, 'node_modules')}`);
      expect(err.fix).toContain('pnpm add flatsparse-plugin-missing');
    });

    it('E_PLUGIN_NOT_FOUND for a missing file, relative to the config directory', async () => {
      const err = await failure(loadPlugin('./local/nope.js', at({ source: 'plugins.3' })));
      expect(err.code).toBe('E_PLUGIN_NOT_FOUND');
      expect(err.message).toContain(`(plugins.3) was not found: no file '${join(dir, 'local', 'nope.js')}'`);
      expect(err.fix).toMatch(/check the path; relative paths are relative to the config file's directory/);
    });

    it("E_PLUGIN_NOT_FOUND for a package whose entry is not built, or a subpath it doesn't export", async () => {
      const unbuilt = await failure(loadPlugin('flatsparse-plugin-unbuilt', at()));
      expect(unbuilt.code).toBe('E_PLUGIN_NOT_FOUND');
      expect(unbuilt.message).toContain("its entry './dist/index.js' does not exist");
      expect(unbuilt.fix).toMatch(/^build the package/);
      const sub = await failure(loadPlugin('flatsparse-plugin-a/hidden', at()));
      expect(sub.code).toBe('E_PLUGIN_NOT_FOUND');
      expect(sub.message).toContain("no entry for './hidden'");
    });

    it('E_PLUGIN_LOAD when importing the module throws, with the cause', async () => {
      const err = await failure(loadPlugin('./local/throws-on-import.mjs', at()));
      expect(err.code).toBe('E_PLUGIN_LOAD');
      expect(err.message).toContain(`failed to load from '${join(dir, 'local', 'throws-on-import.mjs')}': cannot initialise the frobnicator`);
      expect((err.cause as Error).message).toBe('cannot initialise the frobnicator');
    });

    it('E_PLUGIN_NO_FACTORY listing the exports it found', async () => {
      const err = await failure(loadPlugin('./local/no-factory.mjs', at()));
      expect(err.code).toBe('E_PLUGIN_NO_FACTORY');
      expect(err.message).toContain('Received: "exports helper (function), version (string)"');
      expect(err.fix).toMatch(/export default function/);
    });

    it('E_PLUGIN_FACTORY when the factory throws, with the cause', async () => {
      const err = await failure(loadPlugin('./local/factory-throws.mjs', at({ source: 'plugins.1' })));
      expect(err.code).toBe('E_PLUGIN_FACTORY');
      expect(err.message).toContain("Plugin './local/factory-throws.mjs' (plugins.1) failed: its factory threw: this plugin needs a GPU");
    });

    it('E_PLUGIN_API_MISMATCH when the declared core API range excludes this core', async () => {
      const err = await failure(loadPlugin('flatsparse-plugin-old-api', at()));
      expect(err.code).toBe('E_PLUGIN_API_MISMATCH');
      expect(err.message).toContain(`supports plugin API '^99.0.0', but this is @flatsparse/plugin-api ${PLUGIN_API_VERSION}`);
      expect(err.message).toMatch(/\(flatsparse-plugin-old-api \(plugins\.0/);
    });

    it('E_PLUGIN_INVALID for a malformed plugin or an optionsSchema that is not a Standard Schema', async () => {
      const invalid = await failure(loadPlugin('./local/invalid.mjs', at()));
      expect(invalid.code).toBe('E_PLUGIN_INVALID');
      expect(invalid.message).toMatch(/'local-invalid' \(\.\/local\/invalid\.mjs \(plugins\.0\)\) is invalid: 'version' must be a semver version/);
      const schema = await failure(loadPlugin('./local/bad-schema.mjs', at()));
      expect(schema.code).toBe('E_PLUGIN_INVALID');
      expect(schema.message).toContain("Plugin './local/bad-schema.mjs (plugins.0)' is invalid: its 'optionsSchema' export is not a Standard Schema v1 object");
    });

    it('E_PLUGIN_OPTIONS when a plugin object (no factory) is given options', async () => {
      const err = await failure(loadPlugin('@fixture/flatsparse-plugin-scoped', at({ options: { a: 1 } })));
      expect(err.code).toBe('E_PLUGIN_OPTIONS');
      expect(err.message).toContain('plugins.0.options: this plugin takes no options');
    });
  });

  describe('validates options against the schema the plugin publishes', () => {
    it('with zod: defaults apply, and every issue is listed with its config path', async () => {
      const defaults = await loadPlugin('flatsparse-plugin-zod', at());
      expect((defaults.plugin as unknown as { options: unknown }).options).toEqual({ threshold: 0.5, mode: 'fast' });
      const err = await failure(loadPlugin('flatsparse-plugin-zod', at({ source: 'plugins.2', options: { threshold: 'high', mode: 'slow', extra: 1 } })));
      expect(err.code).toBe('E_PLUGIN_OPTIONS');
      const issues = (err as unknown as { issues: { path: string; message: string }[] }).issues;
      expect(issues.map((i) => i.path).sort()).toEqual(['plugins.2.options', 'plugins.2.options.mode', 'plugins.2.options.threshold']);
      expect(err.message).toMatch(/plugins\.2\.options\.threshold: Invalid input: expected number, received string/);
    });

    it('with a hand-written async Standard Schema (path segments as keys or { key })', async () => {
      const ok = await loadPlugin('./local/standard-schema.mjs', at({ options: { threshold: 2 } }));
      expect((ok.plugin as unknown as { options: unknown }).options).toEqual({ threshold: 2, scale: 1 });
      const err = await failure(loadPlugin('./local/standard-schema.mjs', at({ options: { scale: -1 } })));
      expect(err.code).toBe('E_PLUGIN_OPTIONS');
      expect(err.message).toContain('rejected its options: plugins.0.options.threshold: Expected number; plugins.0.options.scale: Must be positive.');
    });
  });

  it('imports only what was named: an installed but unnamed package is never imported', async () => {
    await loadPlugin('flatsparse-plugin-a', at());
    await failure(loadPlugin('flatsparse-plugin-missing', at()));
    await loadPlugin('./local/good.mjs', at());
    expect((globalThis as { __flatsparseEvilImported?: boolean }).__flatsparseEvilImported).toBeUndefined();
  });
});
