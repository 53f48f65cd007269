import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FlatsparseError } from '@flatsparse/plugin-api';
import { activeConditions, resolvePluginFile } from './plugin-resolution.js';

/** Writes files (path -> content; objects become JSON) under a fresh directory; returns its real path. */
function tree(files: Record<string, string | object>): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-resolve-')));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const conditions = new Set(['import', 'node', 'default']);
const resolveFrom = (from: string, specifier: string, extra: readonly string[] = []) =>
  resolvePluginFile({ specifier, source: 'plugins.0', from, conditions: new Set([...extra, ...conditions]) });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as FlatsparseError).code;
  }
  return 'resolved';
};

describe('resolvePluginFile', () => {
  const root = tree({
    'node_modules/p/package.json': {
      name: 'p',
      version: '2.1.0',
      exports: {
        '.': [{ worker: './worker.js' }, { custom: './custom.js', import: './esm.js', default: './cjs.js' }],
        './metrics/*.js': './dist/metrics/*.js',
        './metrics/private/*.js': null,
        './escape': './../q/index.js',
      },
    },
    'node_modules/p/esm.js': '',
    'node_modules/p/custom.js': '',
    'node_modules/p/dist/metrics/top.js': '',
    'node_modules/p/dist/metrics/private/x.js': '',
    'node_modules/q/package.json': { name: 'q', version: '1.0.0', main: 'lib/entry' },
    'node_modules/q/lib/entry.js': '',
    'node_modules/r/index.js': '',
    'mine/package.json': { name: 'mine', version: '0.0.1', exports: './src/plugin.js' },
    'mine/src/plugin.js': '',
  });

  it('follows exports: fallback arrays, condition objects in the package key order, and * patterns', () => {
    expect(resolveFrom(root, 'p')).toEqual({ file: join(root, 'node_modules/p/esm.js'), packageName: 'p', packageVersion: '2.1.0' });
    // 'custom' comes before 'import' in the package, so it wins once it is in force.
    expect(resolveFrom(root, 'p', ['custom']).file).toBe(join(root, 'node_modules/p/custom.js'));
    expect(resolveFrom(root, 'p/metrics/top.js').file).toBe(join(root, 'node_modules/p/dist/metrics/top.js'));
  });

  it('refuses subpaths the package excludes (null) or does not export, and targets outside the package', () => {
    expect(code(() => resolveFrom(root, 'p/metrics/private/x.js'))).toBe('E_PLUGIN_NOT_FOUND');
    expect(code(() => resolveFrom(root, 'p/dist/metrics/top.js'))).toBe('E_PLUGIN_NOT_FOUND');
    expect(code(() => resolveFrom(root, 'p/escape'))).toBe('E_PLUGIN_NOT_FOUND');
  });

  it('without exports, uses main (adding .js as Node does), else index.js', () => {
    expect(resolveFrom(root, 'q').file).toBe(join(root, 'node_modules/q/lib/entry.js'));
    expect(resolveFrom(root, 'r')).toEqual({ file: join(root, 'node_modules/r/index.js') });
  });

  it('reads a directory given as a path as a package', () => {
    expect(resolveFrom(join(root, 'node_modules'), '../mine')).toEqual({ file: join(root, 'mine/src/plugin.js'), packageName: 'mine', packageVersion: '0.0.1' });
  });

  it('rejects specifiers that are neither package names nor paths, and relative file URLs', () => {
    expect(code(() => resolveFrom(root, 'not a package'))).toBe('E_PLUGIN_NOT_FOUND');
    expect(code(() => resolveFrom(root, 'file:relative.js'))).toBe('E_PLUGIN_NOT_FOUND');
  });
});

describe('activeConditions', () => {
  it("adds the given conditions and node's --conditions / -C to the defaults", () => {
    const saved = process.execArgv;
    process.execArgv = ['--conditions', 'a', '-C=b', '--conditions=c', '--no-warnings'];
    vi.stubEnv('NODE_OPTIONS', '--max-old-space-size=4096 -C d');
    try {
      expect([...activeConditions(['@flatsparse/source'])]).toEqual(['@flatsparse/source', 'a', 'b', 'c', 'd', 'import', 'node', 'default']);
    } finally {
      process.execArgv = saved;
      vi.unstubAllEnvs();
    }
  });
});
