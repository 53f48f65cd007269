import { EVENTS } from '@flatsparse/plugin-api';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('docs/architecture.md: the events table', () => {
  it('is EVENTS of @flatsparse/plugin-api, row for row, in order', async () => {
    const doc = await readFile(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const block = /<!-- events:begin -->\n([\s\S]*?)<!-- events:end -->/.exec(doc)?.[1];
    expect(block, 'the events:begin/events:end markers').toBeDefined();
    const rows = block!
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows).toEqual(EVENTS.map((e) => [`\`${e.name}\``, e.phase, e.sync ? 'yes' : 'no', e.when]));
  });
});
