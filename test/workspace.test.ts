import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)).filter((d) => existsSync(join(d, 'package.json')));
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

describe('workspace', () => {
  it('installs exactly one copy of the tfjs engine (and of every tfjs backend)', () => {
    const store = readdirSync(join(root, 'node_modules', '.pnpm'));
    const versions = (pkg: string) => new Set(store.filter((d) => d.startsWith(`${pkg}@`)).map((d) => d.slice(pkg.length + 1).split('_')[0]));
    expect([...versions('@tensorflow+tfjs-core')]).toEqual(['4.22.0']);
    for (const backend of ['cpu', 'wasm']) expect(versions(`@tensorflow+tfjs-backend-${backend}`).size).toBeLessThanOrEqual(1);
  });

  it('never installs tfjs-node(-gpu) behind the user\'s back', () => {
    const store = readdirSync(join(root, 'node_modules', '.pnpm'));
    expect(store.filter((d) => d.startsWith('@tensorflow+tfjs-node'))).toEqual([]);
  });

  it('publishes every package as side-effect-free ESM with an exports map', () => {
    for (const dir of packageDirs) {
      const m = manifest(dir);
      expect(m.name, dir).toMatch(/^@flatsparse\//);
      expect(m.type, m.name).toBe('module');
      if (m.name !== '@flatsparse/cli') expect(m.sideEffects, m.name).toBe(false);
      expect(m.exports?.['.']?.import, m.name).toBe('./dist/index.js');
      expect(m.exports?.['.']?.['@flatsparse/source'], m.name).toBe('./src/index.ts');
    }
  });

  it('pins tfjs-core through the catalog in every package that uses it', () => {
    for (const dir of [...packageDirs, join(root, 'test')]) {
      const m = manifest(dir);
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        const spec = m[field]?.['@tensorflow/tfjs-core'];
        if (spec !== undefined) expect(spec, `${m.name} ${field}`).toBe('catalog:');
      }
    }
  });
});
