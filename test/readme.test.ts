import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');

describe('README and CI', () => {
  const commands = readme.split('```bash\n')[1]!.split('```')[0]!.trim().split('\n').map((l) => l.split('#')[0]!.trim());

  it('starts with the two commands: the main job, then the tests', () => {
    expect(readme.indexOf('```bash')).toBeLessThan(30);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/pnpm demo$/);
    expect(commands[1]).toMatch(/pnpm test$/);
  });

  it('CI runs exactly the README test command', () => {
    const ciLines = ci.split('\n').map((l) => l.trim());
    expect(ciLines).toContain(commands[1]);
  });

  it('the scripts behind both commands exist', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const script of ['demo', 'test', 'build', 'typecheck', 'bench']) expect(pkg.scripts[script], script).toBeTypeOf('string');
    // Every committed file a script runs exists (dist/ files come from the build and are not checked).
    for (const [name, script] of Object.entries(pkg.scripts as Record<string, string>)) {
      for (const file of script.match(/node (\S+\.m?js)/g)?.map((m) => m.slice(5)) ?? []) {
        if (!file.includes('/dist/')) expect(existsSync(join(root, file)), `${name}: ${file}`).toBe(true);
      }
    }
    expect(pkg.scripts.demo).toContain('packages/cli/bin/flatsparse.js demo');
  });
});
