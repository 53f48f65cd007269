import { writeFileAtomic } from '@flatsparse/core';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiEntry,
  type ApiReport,
  API_PACKAGES,
  bumpVersion,
  checkVersionBump,
  classifyApiDiff,
  CORE_DIR,
  describeApiDiff,
  diffApiReports,
  generateApiReport,
  judgeApiChange,
  NOT_EXPORTED,
  parseApiReport,
  renderApiReport,
  requiredBump,
} from './support/api-surface.js';

// Two public APIs are recorded, each in ONE place with its own version: the plugin API
// (packages/plugin-api/api-report.md, PLUGIN_API_VERSION: the contract plugins and backends declare in
// `apiVersion`) and the engine (packages/core/api-report.md, CORE_API_VERSION). Each report holds every
// export of every entry point (read from the package's `exports`), types included, with its declaration as
// a .d.ts shows it, then the types those declarations name without exporting them. test/support/api-surface.ts
// generates them from the sources with the TypeScript compiler API. Review an API change by reading the diff
// of those files: a refactor of the trainer or a chart changes core's report, never the plugin API's.
// The first test of each fails when the API differs from its report: with the same version, it says what
// changed and which version to bump to; with a new version, it checks that the bump is big enough for the
// change (the rule is in each package's src/version.ts). `pnpm api:update` (UPDATE_API_REPORT=1) applies the
// same check, then rewrites the reports: bump the version first, then run it. Only if the generator itself
// changed (not the API), delete a report before running it: a missing report is written unchecked.
const update = process.env.UPDATE_API_REPORT === '1';

const ENTRY_MODULES: Record<string, () => Promise<object>> = {
  '@flatsparse/plugin-api': () => import('@flatsparse/plugin-api'),
  '@flatsparse/plugin-api/host': () => import('@flatsparse/plugin-api/host'),
  '@flatsparse/plugin-api/testing': () => import('@flatsparse/plugin-api/testing'),
  '@flatsparse/plugin-api/testing/vitest': () => import('@flatsparse/plugin-api/testing/vitest'),
  '@flatsparse/core': () => import('@flatsparse/core'),
  '@flatsparse/core/testing': () => import('@flatsparse/core/testing'),
};

for (const pkg of [API_PACKAGES.pluginApi, API_PACKAGES.core]) {
  describe(`public API of ${pkg.name} (${relative(join(CORE_DIR, '..', '..'), pkg.reportFile)})`, () => {
    let current: ApiReport;
    beforeAll(() => {
      current = generateApiReport(pkg);
    });

    it(update ? 'is recorded (pnpm api:update)' : `is the recorded one, with the ${pkg.versionName} it belongs to`, async () => {
      const recorded = existsSync(pkg.reportFile) ? parseApiReport(readFileSync(pkg.reportFile, 'utf8')) : undefined;
      const verdict = recorded === undefined ? undefined : judgeApiChange(recorded, current);
      if (verdict?.status === 'error') expect.fail(verdict.message);
      if (update) await writeFileAtomic(pkg.reportFile, renderApiReport(current));
      else if (verdict === undefined) expect.fail(`${pkg.reportFile} is missing: run 'pnpm api:update' to write it.`);
      else if (verdict.status === 'record') expect.fail(verdict.message);
    });

    it('lists as values exactly the runtime exports of each entry point', async () => {
      const entries = [...new Set(current.entries.map((e) => e.entry))].filter((e) => e !== NOT_EXPORTED);
      expect(entries.every((e) => ENTRY_MODULES[e] !== undefined), entries.join(', ')).toBe(true);
      for (const entry of entries) {
        const module = await ENTRY_MODULES[entry]!();
        const values = current.entries.filter((e) => e.entry === entry && /\b(class|function|const|let|var|enum)\b/.test(e.kind)).map((e) => e.name);
        expect(values, entry).toEqual(Object.keys(module).sort());
      }
      const main = (await ENTRY_MODULES[pkg.name]!()) as Record<string, unknown>;
      expect(current.version).toBe(main[pkg.versionName]);
    });

    it('reads back as written, sorted by entry point then name, with no absolute path', () => {
      const text = renderApiReport(current);
      expect(parseApiReport(text)).toEqual(current);
      const entries = [...new Set(current.entries.map((e) => e.entry))];
      const declared = Object.keys(JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')).exports).map((k: string) => (k === '.' ? pkg.name : `${pkg.name}${k.slice(1)}`));
      expect(entries).toEqual([...declared.sort(), NOT_EXPORTED]);
      for (const entry of entries) {
        const names = current.entries.filter((e) => e.entry === entry).map((e) => e.name);
        expect(names, entry).toEqual([...names].sort());
      }
      expect(text).not.toContain(dirname(dirname(CORE_DIR)));
      expect(text).not.toMatch(/import\("\//);
    });
  });
}

describe('the plugin API package is small and runs anywhere', () => {
  const report = generateApiReport(API_PACKAGES.pluginApi);
  const count = (entry: string) => report.entries.filter((e) => e.entry === entry).length;

  it('exports from its main entry at most a third of the 298 names @flatsparse/core 0.2 exported', () => {
    const main = count('@flatsparse/plugin-api');
    console.log(`[api] @flatsparse/plugin-api exports ${main} names (host ${count('@flatsparse/plugin-api/host')}, testing ${count('@flatsparse/plugin-api/testing')}, testing/vitest ${count('@flatsparse/plugin-api/testing/vitest')}); @flatsparse/core ${generateApiReport(API_PACKAGES.core).entries.filter((e) => e.entry === '@flatsparse/core').length}`);
    expect(main).toBeLessThanOrEqual(Math.floor(298 / 3));
  });

  it('names the Plugin contract with its apiVersion and setup, as the report records it', () => {
    const plugin = report.entries.find((e) => e.entry === '@flatsparse/plugin-api' && e.name === 'Plugin')?.declaration;
    expect(plugin).toMatch(/^interface Plugin \{\n(?: {4}.*\n)*? {4}readonly apiVersion: string;\n(?: {4}.*\n)*? {4}setup\?\(ctx: PluginContext\): void \| Promise<void>;\n/);
  });

  it('imports no Node built-in: only its own files, tfjs-core, zod, semver (and vitest in the vitest adapter)', () => {
    const src = join(API_PACKAGES.pluginApi.dir, 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(30);
    const found = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(join(src, file), 'utf8');
      // The compiler's own scan: static and dynamic imports, re-exports and require calls, not comments.
      for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
        if (!spec.startsWith('.')) found.set(spec, [...(found.get(spec) ?? []), file]);
      }
      expect(text, file).not.toMatch(/\bprocess\.(?:env|argv|cwd|exit)|\bBuffer\.|__dirname|import\.meta\.url/);
    }
    const allowed = new Set(['@tensorflow/tfjs-core', 'zod', 'semver', 'vitest']);
    const builtin = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const [spec, where] of found) {
      expect(builtin.has(spec) || spec.startsWith('node:'), `${spec} (${where.join(', ')})`).toBe(false);
      expect(allowed.has(spec), `${spec} is imported by ${where.join(', ')}`).toBe(true);
    }
    expect(found.get('vitest')).toEqual(['testing/vitest.ts']);
    const tsconfig = readFileSync(join(API_PACKAGES.pluginApi.dir, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toMatch(/"types": \[\]/);
  });
});

/** A tiny package in a temp folder, shaped like core (package.json exports, tsconfig, CORE_API_VERSION). */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'api-report-'));
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ name: '@fixture/api', type: 'module', exports: { '.': { '@flatsparse/source': './src/index.ts' }, './extra': { '@flatsparse/source': './src/extra.ts' } } }),
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] }, include: ['src'] }),
    'src/version.ts': "export const CORE_API_VERSION = '1.2.3';\n",
    'src/extra.ts': "export type { Options } from './index.js';\nexport function helper(): void {}\n",
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const HIDDEN = `
export interface Hidden { readonly depth: number; readonly inner: Inner }
interface Inner { readonly x: number }
export class Base { protected id = 0; }
export function makeHidden(): Hidden { return { depth: 1, inner: { x: 1 } }; }
`;

const INDEX = `
import { Base, makeHidden, type Hidden } from './hidden.js';
export { CORE_API_VERSION } from './version.js';
/** Documented. */
export interface Options {
  /** Size. */
  readonly size: number;
  readonly name?: string;
}
export type Mode = 'a' | 'b';
export enum Level { Low = 1, High = 2 }
export class Thing<T> extends Base {
  static count = 0;
  readonly label = 'x';
  #secret = 1;
  private hidden = 2;
  protected guard = [1];
  constructor(public readonly value: T, private readonly store: Map<string, T>, options: Options = { size: 1 }) { super(); void this.#secret; void this.hidden; void this.store; void options; }
  get size(): number { return 1; }
  scale(x: number): number;
  scale(x: string): string;
  scale(x: number | string) { return x; }
  async load() { return this.value; }
}
export function make(size = 3, { name = 'n' }: { name?: string } = {}) { return { size, name }; }
export function parse(x: string): number;
export function parse(x: number): string;
export function parse(x: string | number): number | string { return x; }
export const found = makeHidden();
export const Mode = { a: 'a', b: 'b' } as const;
export { make as build };
`;

describe('the API report generator', () => {
  const dirs: string[] = [];
  const generate = (files: Record<string, string>): ApiReport => {
    dirs.push(fixture(files));
    return generateApiReport({ name: '@fixture/api', dir: dirs.at(-1)!, versionName: 'CORE_API_VERSION', versionFile: 'src/version.ts', reportFile: '' });
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const base = generate({ 'src/index.ts': INDEX, 'src/hidden.ts': HIDDEN });
  const declaration = (report: ApiReport, entry: string, name: string) => report.entries.find((e) => e.entry === entry && e.name === name);

  it('writes every export as a .d.ts would: no bodies, comments, defaults or private members; inferred types written out', () => {
    const at = (name: string) => declaration(base, '@fixture/api', name);
    expect(base.version).toBe('1.2.3');
    expect(at('CORE_API_VERSION')).toEqual({ entry: '@fixture/api', name: 'CORE_API_VERSION', kind: 'const', declaration: 'const CORE_API_VERSION: string;' });
    expect(at('Options')?.declaration).toBe('interface Options {\n    readonly size: number;\n    readonly name?: string;\n}');
    expect(at('Level')?.declaration).toBe('enum Level {\n    Low = 1,\n    High = 2\n}');
    expect(at('Thing')?.declaration).toBe(
      [
        'class Thing<T> extends Base {',
        '    static count: number;',
        '    readonly label: "x";',
        '    protected guard: number[];',
        '    constructor(public readonly value: T, store: Map<string, T>, options?: Options);',
        '    get size(): number;',
        '    scale(x: number): number;',
        '    scale(x: string): string;',
        '    load(): Promise<T>;',
        '}',
      ].join('\n'),
    );
    expect(at('make')?.declaration).toBe('function make(size?: number, { name }?: {\n    name?: string;\n}): {\n    size: number;\n    name: string;\n};');
    expect(at('build')).toEqual({ ...at('make'), name: 'build' });
    expect(at('parse')?.declaration).toBe('function parse(x: string): number;\nfunction parse(x: number): string;');
    expect(at('Mode')).toMatchObject({ kind: 'const + type', declaration: 'const Mode: {\n    readonly a: "a";\n    readonly b: "b";\n};\ntype Mode = \'a\' | \'b\';' });
    expect(at('found')?.declaration).toBe('const found: Hidden;');
  });

  it('lists every entry point, and the types the API names without exporting them', () => {
    expect(base.entries.map((e) => `${e.entry} ${e.name}`)).toEqual([
      ...['CORE_API_VERSION', 'Level', 'Mode', 'Options', 'Thing', 'build', 'found', 'make', 'parse'].map((n) => `@fixture/api ${n}`),
      '@fixture/api/extra Options',
      '@fixture/api/extra helper',
      ...['Base', 'Hidden', 'Inner'].map((n) => `${NOT_EXPORTED} ${n}`),
    ]);
    expect(declaration(base, NOT_EXPORTED, 'Base')?.declaration).toBe('class Base {\n    protected id: number;\n}');
  });

  it('sees a changed signature, a removed export and a changed type that is not exported', () => {
    const changed = generate({ 'src/index.ts': INDEX.replace('scale(x: string): string;', 'scale(x: string): number;').replace('export { make as build };', ''), 'src/hidden.ts': HIDDEN.replace('readonly x: number', 'readonly x: string') });
    const diff = diffApiReports(base, changed);
    expect(diff.removed.map((e) => e.name)).toEqual(['build']);
    expect(diff.changed.map((c) => c.after.name)).toEqual(['Thing', 'Inner']);
    expect(diff.added).toEqual([]);
    expect(classifyApiDiff(diff)).toBe('breaking');
  });

  it('gives the same report for the same sources, wherever they are', () => {
    expect(generate({ 'src/index.ts': INDEX, 'src/hidden.ts': HIDDEN })).toEqual(base);
  });
});

const entry = (name: string, declaration: string, kind = 'interface', at = '@x/core'): ApiEntry => ({ entry: at, name, kind, declaration });
const report = (version: string, ...entries: ApiEntry[]): ApiReport => ({ packageName: '@flatsparse/core', versionName: 'CORE_API_VERSION', version, entries });
const PLUGIN = 'interface Plugin {\n    readonly name: string;\n    readonly apiVersion: string;\n}';

describe('API change rules', () => {
  it('diffs reports by entry point and name, a kind change included', () => {
    const before = report('0.1.0', entry('A', 'a'), entry('B', 'b'), entry('C', 'c'), entry('A', 'a', 'interface', '@x/core/testing'));
    const after = report('0.1.0', entry('A', 'a'), entry('B', 'b', 'type'), entry('D', 'd'));
    const diff = diffApiReports(before, after);
    expect(diff.removed.map((e) => `${e.entry} ${e.name}`)).toEqual(['@x/core C', '@x/core/testing A']);
    expect(diff.added.map((e) => e.name)).toEqual(['D']);
    expect(diff.changed.map((c) => [c.before.kind, c.after.kind])).toEqual([['interface', 'type']]);
  });

  it('classifies removals and changed declarations as breaking, additions and new optional members as additive', () => {
    const classify = (before: string, after: string) => classifyApiDiff(diffApiReports(report('1.0.0', entry('Plugin', before)), report('1.0.0', entry('Plugin', after))));
    const add = (member: string) => PLUGIN.replace('\n}', `\n    ${member}\n}`);
    expect(classify(PLUGIN, PLUGIN)).toBe('none');
    expect(classify(PLUGIN, add('readonly order?: number;'))).toBe('additive');
    expect(classify(PLUGIN, add('setup?(ctx: Context): void;'))).toBe('additive');
    expect(classify(PLUGIN, add('readonly order: number;'))).toBe('breaking');
    expect(classify(PLUGIN, add('readonly order?: {'))).toBe('breaking');
    expect(classify(PLUGIN, add('readonly order?: {\n        readonly before: string;\n    };'))).toBe('additive');
    expect(classify(PLUGIN, add('readonly order?: {\n        readonly before: string;\n    };\n    readonly after: string;'))).toBe('breaking');
    expect(classify(PLUGIN, PLUGIN.replace('apiVersion: string', 'apiVersion?: string'))).toBe('breaking');
    expect(classify(add('readonly order?: number;'), PLUGIN)).toBe('breaking');
    expect(classifyApiDiff(diffApiReports(report('1.0.0'), report('1.0.0', entry('Plugin', PLUGIN))))).toBe('additive');
    expect(classifyApiDiff(diffApiReports(report('1.0.0', entry('Plugin', PLUGIN)), report('1.0.0')))).toBe('breaking');
    const exported = diffApiReports(report('1.0.0', entry('Plugin', PLUGIN, 'interface', NOT_EXPORTED)), report('1.0.0', entry('Plugin', PLUGIN)));
    expect(classifyApiDiff(exported)).toBe('additive');
  });

  it('lets a class gain members, but not abstract ones, a constructor or a member of a type inside it', () => {
    const HOST = 'class Host {\n    constructor(size: number);\n    run(options: {\n        readonly steps: number;\n    }): void;\n}';
    const classify = (after: string) => classifyApiDiff(diffApiReports(report('1.0.0', entry('Host', HOST, 'class')), report('1.0.0', entry('Host', after, 'class'))));
    const add = (member: string) => HOST.replace('\n}', `\n    ${member}\n}`);
    expect(classify(add('static create(): Promise<Host>;'))).toBe('additive');
    expect(classify(add('get size(): number;'))).toBe('additive');
    expect(classify(add('plan(options: {\n        readonly steps: number;\n    }): void;'))).toBe('additive');
    expect(classify(add('abstract step(): void;'))).toBe('breaking');
    expect(classify(add('protected abstract step(): void;'))).toBe('breaking');
    expect(classify(HOST.replace('(size: number);', '(size: number);\n    constructor(size: string);'))).toBe('breaking');
    expect(classify(HOST.replace('steps: number;', 'steps: number;\n        readonly seed: number;'))).toBe('breaking');
    expect(classify(HOST.replace('steps: number;', 'steps: number;\n        readonly seed?: number;'))).toBe('additive');
  });

  it('describes a change with its first differing lines, and shortens long lists', () => {
    const diff = diffApiReports(report('1.0.0', entry('Plugin', PLUGIN), entry('gone', 'function gone(): void;', 'function')), report('1.0.0', entry('Plugin', PLUGIN.replace('apiVersion: string', 'apiVersion: number')), entry('New', 'type New = 1;', 'type')));
    expect(describeApiDiff(diff)).toEqual([
      'removed: @x/core gone (function)',
      'breaking change: @x/core Plugin (interface)',
      '  at line 3:',
      '    - readonly apiVersion: string;',
      '    + readonly apiVersion: number;',
      'added: @x/core New (type)',
    ]);
    expect(describeApiDiff(diff, 1)).toEqual(['removed: @x/core gone (function)', '... and 2 more']);
    const codes = (n: number) => `type Code = ${Array.from({ length: n }, (_, i) => `'E_${i}'`).join(' | ')};`;
    const grown = diffApiReports(report('1.0.0', entry('Code', codes(10), 'type'), entry('Opts', PLUGIN)), report('1.0.0', entry('Code', codes(30), 'type'), entry('Opts', PLUGIN.replace('\n}', '\n    x?: 1;\n}'))));
    expect(describeApiDiff(grown)).toEqual([
      'breaking change: @x/core Code (type)',
      '  at line 1:',
      "    - ... 'E_6' | 'E_7' | 'E_8' | 'E_9';",
      "    + ... 'E_6' | 'E_7' | 'E_8' | 'E_9' | 'E_10' | 'E_11' | 'E_12' | 'E_13' | 'E_14' | 'E_15' | 'E_16' | 'E_17' | 'E_18' | ...",
      'compatible change: @x/core Opts (interface)',
      '  at line 4:',
      '    + x?: 1;',
    ]);
  });

  it('needs a major bump for a breaking change from 1.0.0 on, a minor one for an additive change', () => {
    expect(requiredBump('1.2.3', 'breaking')).toBe('major');
    expect(requiredBump('1.2.3', 'additive')).toBe('minor');
    expect(checkVersionBump('1.2.3', '2.0.0', 'breaking')).toBeUndefined();
    expect(checkVersionBump('1.2.3', '1.3.0', 'breaking')).toMatch(/a breaking change needs a major bump: use 2\.0\.0/);
    expect(checkVersionBump('1.2.3', '1.3.0', 'additive')).toBeUndefined();
    expect(checkVersionBump('1.2.3', '1.2.4', 'additive')).toMatch(/needs a minor bump: use 1\.3\.0/);
    expect(checkVersionBump('1.2.3', '1.2.4', 'none')).toBeUndefined();
  });

  it('while 0.x, needs a minor bump for a breaking change and a patch bump for an additive one', () => {
    expect(requiredBump('0.1.0', 'breaking')).toBe('minor');
    expect(requiredBump('0.1.0', 'additive')).toBe('patch');
    expect(checkVersionBump('0.1.0', '0.1.1', 'breaking')).toMatch(/needs a minor bump: use 0\.2\.0/);
    expect(checkVersionBump('0.1.0', '0.2.0', 'breaking')).toBeUndefined();
    expect(checkVersionBump('0.1.0', '1.0.0', 'breaking')).toBeUndefined();
    expect(checkVersionBump('0.1.0', '0.1.1', 'additive')).toBeUndefined();
  });

  it('accepts only the next version at some level', () => {
    expect(['patch', 'minor', 'major'].map((l) => bumpVersion('1.2.3', l as 'patch'))).toEqual(['1.2.4', '1.3.0', '2.0.0']);
    for (const to of ['0.3.0', '0.2.1', '0.0.9', '1.1.0']) expect(checkVersionBump('0.1.0', to, 'none'), to).toMatch(/not a next version: use 0\.1\.1 \(patch\), 0\.2\.0 \(minor\), 1\.0\.0 \(major\)/);
    for (const to of ['v0.2.0', '0.2.0-rc.1']) expect(() => checkVersionBump('0.1.0', to, 'none')).toThrow(/is not a plain semver version such as 1\.2\.3/);
  });

  it('judges the current API against the recorded one: unchanged, record the bump, or say what to fix', () => {
    const recorded = report('0.1.0', entry('Plugin', PLUGIN));
    const breaking = (version: string) => report(version, entry('Plugin', PLUGIN.replace('apiVersion: string', 'apiVersion: number')));
    expect(judgeApiChange(recorded, recorded)).toEqual({ status: 'unchanged' });
    const stale = judgeApiChange(recorded, breaking('0.1.0'));
    expect(stale.status).toBe('error');
    expect(stale.status === 'error' && stale.message).toBe(
      [
        'The public API of @flatsparse/core changed (breaking) but CORE_API_VERSION is still 0.1.0:',
        '  breaking change: @x/core Plugin (interface)',
        '    at line 3:',
        '      - readonly apiVersion: string;',
        '      + readonly apiVersion: number;',
        "Fix: bump CORE_API_VERSION in packages/core/src/version.ts to 0.2.0 (or more: see the rule there) and run 'pnpm api:update'.",
      ].join('\n'),
    );
    expect(judgeApiChange(recorded, breaking('0.1.1'))).toMatchObject({ status: 'error', message: expect.stringMatching(/^CORE_API_VERSION went from 0\.1\.0 to 0\.1\.1 \(a patch bump\), but a breaking change needs a minor bump: use 0\.2\.0\.\nThe change:\n {2}breaking change: @x\/core Plugin/) });
    expect(judgeApiChange(recorded, breaking('0.2.0'))).toEqual({ status: 'record', message: expect.stringContaining("records 0.1.0: run 'pnpm api:update'") });
    expect(judgeApiChange(recorded, report('0.1.1', entry('Plugin', PLUGIN)))).toMatchObject({ status: 'record' });
  });

  it('reads back a rendered report, and refuses a malformed one', () => {
    const r = report('0.3.1', entry('A', 'interface A {\n    x: 1;\n}'), entry('f', 'function f(): void;', 'function', '@x/core/testing'), entry('H', 'type H = 1;', 'type', NOT_EXPORTED));
    const text = renderApiReport(r);
    expect(text).toContain('## named by the API, not exported\n\n### `H`: type\n\n```ts\ntype H = 1;\n```\n');
    expect(parseApiReport(text)).toEqual(r);
    expect(() => parseApiReport(text.replace('```ts\ntype H', 'type H'))).toThrow(/malformed API report at line \d+: '### `H`: type'/);
    expect(() => parseApiReport(text.replace(/^CORE_API_VERSION: /m, 'VERSION: '))).toThrow(/no 'XXX_API_VERSION/);
  });
});
