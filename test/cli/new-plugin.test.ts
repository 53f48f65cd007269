import { main } from '@flatsparse/cli';
import { PLUGIN_API_VERSION } from '@flatsparse/plugin-api';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';
import { ensureBuilt, runNode, TSC } from './workspace-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the workspace installed its dependencies: each package's own node_modules, then the root's. */
const MODULE_DIRS = ['packages/plugin-api', 'packages/core', 'packages/backend-wasm', '.'].map((p) => join(ROOT, p, 'node_modules'));
const KINDS = [
  { kind: 'activation', name: 'flatsparse-plugin-dead-zone', contribution: 'dead-zone' },
  { kind: 'metric', name: 'flatsparse-plugin-near-zero', contribution: 'near-zero' },
  { kind: 'estimator', name: '@lab/flatsparse-plugin-grad-norm', contribution: 'grad-norm' },
  { kind: 'regularizer', name: 'flatsparse-plugin-activation-l2', contribution: 'activation-l2' },
] as const;

type Manifest = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
const manifest = async (dir: string): Promise<Manifest> => JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Symlinks `name` into `modules` from the workspace's install, as a flat npm install would place it. */
async function link(modules: string, name: string): Promise<void> {
  const found = MODULE_DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
  if (found === undefined) throw new Error(`'${name}' is not installed in the workspace (looked in ${MODULE_DIRS.join(', ')})`);
  if (existsSync(join(modules, name))) return;
  await mkdir(dirname(join(modules, name)), { recursive: true });
  await symlink(realpathSync(found), join(modules, name));
}

/**
 * A node_modules like the one `npm install` gives the generated packages: @flatsparse/plugin-api,
 * @flatsparse/core and @flatsparse/backend-wasm as published (package.json + dist), their dependencies and the packages'
 * own declared dependencies hoisted next to them, linked to the workspace's copies (one tfjs-core).
 */
async function install(root: string, packages: readonly string[]): Promise<void> {
  const modules = join(root, 'node_modules');
  for (const pkg of ['plugin-api', 'core', 'backend-wasm']) {
    const from = join(ROOT, 'packages', pkg);
    await ensureBuilt(from);
    const to = join(modules, '@flatsparse', pkg);
    await mkdir(to, { recursive: true });
    await cp(join(from, 'package.json'), join(to, 'package.json'));
    await cp(join(from, 'dist'), join(to, 'dist'), { recursive: true });
    const m = await manifest(from);
    for (const dep of Object.keys({ ...m.dependencies, ...m.peerDependencies })) if (dep !== 'vitest' && !dep.startsWith('@flatsparse/')) await link(modules, dep);
  }
  for (const dir of packages) {
    const m = await manifest(dir);
    for (const dep of Object.keys({ ...m.dependencies, ...m.devDependencies, ...m.peerDependencies })) if (!dep.startsWith('@flatsparse/')) await link(modules, dep);
  }
}

/** Runs `jobs` two at a time (the machines these tests run on have two cores). */
async function pairwise<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) results.push(...(await Promise.all(jobs.slice(i, i + 2).map((job) => job()))));
  return results;
}

interface VitestJson {
  numFailedTests: number;
  numPassedTests: number;
  testResults: { assertionResults: { fullName: string; status: string }[] }[];
}

describe('flatsparse new-plugin', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-new-plugin-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a bad name, an unknown or missing kind and a non-empty directory, saying how to fix it', async () => {
    const run = async (...args: string[]) => {
      const io = recordingIo();
      return { code: await main(['new-plugin', ...args], io), text: io.text() };
    };
    const badName = await run('Flatsparse Plugin', '--kind', 'activation', '--dir', join(root, 'bad'));
    expect(badName.code).toBe(2);
    expect(badName.text).toMatch(/E_CONFIG_INVALID.*'<name>'.*uppercase.*Fix: pick a name like 'flatsparse-plugin-/);
    expect((await run('fs', '--kind', 'metric', '--dir', join(root, 'bad'))).text).toMatch(/taken by Node itself/);
    const badKind = await run('flatsparse-plugin-x', '--kind', 'optimizer', '--dir', join(root, 'bad'));
    expect(badKind.code).toBe(2);
    expect(badKind.text).toMatch(/'--kind'.*unknown plugin kind 'optimizer'.*one of activation, metric, estimator, regularizer/);
    expect((await run('flatsparse-plugin-x', '--dir', join(root, 'bad'))).text).toMatch(/'--kind': is required/);
    expect(existsSync(join(root, 'bad'))).toBe(false);

    const taken = join(root, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'mine');
    const clash = await run('flatsparse-plugin-x', '--kind', 'metric', '--dir', taken);
    expect(clash.code).toBe(2);
    expect(clash.text).toContain(`'${taken}' already exists and is not empty (it holds notes.txt); new-plugin never overwrites.`);
    expect(clash.text).toContain(`Fix: pass --dir with a new directory (for example --dir ${taken}-2)`);
    expect(await readdir(taken)).toEqual(['notes.txt']);
    expect((await readdir(root)).sort()).toEqual(['taken']); // no temporary directory left behind
  });

  it('generates each kind into an empty or new directory, with the plugin API range read from @flatsparse/plugin-api', async () => {
    await mkdir(join(root, 'activation')); // an existing empty directory is fine
    for (const { kind, name, contribution } of KINDS) {
      const io = recordingIo();
      expect(await main(['new-plugin', name, '--kind', kind, '--dir', join(root, kind)], io), io.text()).toBe(0);
      expect(io.text()).toContain(`Created ${name} (${kind} '${contribution}')`);
      const dir = join(root, kind);
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      expect(entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort()).toEqual(
        ['.gitignore', 'README.md', 'package.json', 'src/index.ts', 'test/conformance.test.ts', `test/${kind}.test.ts`, 'tsconfig.build.json', 'tsconfig.json', 'vitest.config.ts'].sort(),
      );
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      expect(pkg).toMatchObject({ name, type: 'module', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } });
      expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['@flatsparse/plugin-api', '@tensorflow/tfjs-core']);
      expect(pkg.devDependencies).toHaveProperty('@flatsparse/backend-wasm');
      const source = await readFile(join(dir, 'src', 'index.ts'), 'utf8');
      expect(source).toContain(`export const API_VERSION = '^${PLUGIN_API_VERSION}';`);
      expect(source).toMatch(/export const optionsSchema = z\.strictObject/);
      expect(source).toMatch(/export default function \w+\(options\?: unknown\): Plugin/);
      expect(await readFile(join(dir, 'test', 'conformance.test.ts'), 'utf8')).toContain("from '@flatsparse/plugin-api/testing/vitest'");
      expect(source).not.toContain('@flatsparse/core');
      expect(await readFile(join(dir, 'README.md'), 'utf8')).toContain(`| contributes | ${kind} \`${contribution}\` |`);
    }
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('every generated package builds, type-checks and passes its own tests, the conformance suite included, as generated', { timeout: 300_000 }, async () => {
    const dirs = KINDS.map(({ kind }) => join(root, kind));
    await install(root, dirs);

    const tsc = await pairwise(dirs.flatMap((dir) => ['tsconfig.build.json', 'tsconfig.json'].map((config) => () => runNode([TSC, '-p', config], dir).then((r) => ({ ...r, dir, config })))));
    for (const r of tsc) expect(r.code, `tsc -p ${r.config} in ${r.dir}:\n${r.output}`).toBe(0);
    for (const dir of dirs) for (const file of ['index.js', 'index.d.ts']) expect(existsSync(join(dir, 'dist', file)), `${dir}/dist/${file}`).toBe(true);

    // The built module honours the plugin module contract: a default-export factory and a Standard
    // Schema under `optionsSchema`; the plugin it makes passes the host's validatePlugin (API range included).
    const check = await runNode(
      [
        '--input-type=module',
        '-e',
        `import { validatePlugin } from '@flatsparse/plugin-api/host';
         for (const dir of ${JSON.stringify(dirs)}) {
           const m = await import(dir + '/dist/index.js');
           const options = await m.optionsSchema['~standard'].validate({});
           const plugin = validatePlugin(await m.default(options.value));
           console.log(JSON.stringify({ name: plugin.name, factory: typeof m.default, contributes: Object.keys(plugin.contributes) }));
         }`,
      ],
      root,
    );
    expect(check.code, check.output).toBe(0);
    expect(check.output.trim().split('\n').map((l) => JSON.parse(l))).toEqual(
      KINDS.map(({ kind, name }) => ({ name, factory: 'function', contributes: [`${kind}s`] })),
    );

    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const runs = await pairwise(dirs.map((dir) => () => runNode([vitest, 'run', '--reporter=default', '--reporter=json', '--outputFile.json=results.json'], dir).then((r) => ({ ...r, dir }))));
    // Every kind is checked (soft assertions), so one failing package does not hide the others.
    for (const [i, r] of runs.entries()) {
      const { name, kind, contribution } = KINDS[i]!;
      expect.soft(r.code, `vitest run in ${r.dir}:\n${r.output}`).toBe(0);
      const report = JSON.parse(await readFile(join(r.dir, 'results.json'), 'utf8')) as VitestJson;
      const tests = report.testResults.flatMap((f) => f.assertionResults);
      expect.soft(report.numFailedTests, kind).toBe(0);
      expect.soft(report.numPassedTests, kind).toBe(tests.length);
      const conformance = tests.filter((t) => t.fullName.startsWith(`plugin conformance: ${name} `));
      expect.soft(conformance.map((t) => [t.fullName.slice(`plugin conformance: ${name} `.length), t.status])).toEqual(
        ['validates', 'hook order', 'error attribution', 'no tensor leaks over a run', `${kind} ${contribution}`].map((check) => [check, 'passed']),
      );
      expect.soft(tests.length - conformance.length, `${kind}: numerical and options tests`).toBeGreaterThanOrEqual(5);
    }
  });
});
