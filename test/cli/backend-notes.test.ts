import { main } from '@flatsparse/cli';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingIo } from './recording-io.js';
import { cleanup, configFile, tempDir, tinyConfig } from './run-dir-fixtures.js';

// Quiet output: a process that trains several runs (the demo trains six) says once, in one line each,
// which better-ranked backends it could not use, and leaves the install guides to `flatsparse doctor`.
const made: string[] = [];
let dir: string;
beforeAll(async () => {
  dir = await tempDir('fs-notes-', made);
});
afterAll(() => cleanup(made));

describe('unavailable backends are noted once per process, one line each', () => {
  it('three runs on auto: each skipped backend noted once, without its install guide', async () => {
    const config = await configFile(dir, 'c.yaml', tinyConfig({ steps: 2 }));
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      const io = recordingIo();
      expect(await main(['run', config, '--out', join(dir, `run-${i}`)], io), io.text()).toBe(0);
      lines.push(...io.err_.flatMap((l) => l.split('\n')));
    }
    const notes = lines.filter((l) => l.startsWith('note: backend '));
    // Which backends rank above the one auto selected and are unavailable here, from `flatsparse backends`.
    const io = recordingIo();
    expect(await main(['backends'], io)).toBe(0);
    const table = io.out_.join('\n').split('\n').filter((l) => /^\S+\s+\S+\s+\d+\s+(yes|no)\s/.test(l)).map((l) => l.split(/\s+/));
    const selected = /'auto' selects: (\S+)/.exec(io.out_.join('\n'))?.[1];
    const priority = Number(table.find((r) => r[0] === selected)?.[2]);
    const skipped = table.filter((r) => Number(r[2]) > priority && r[3] === 'no').map((r) => r[0]!);
    expect(notes.map((l) => /^note: backend '([^']+)'/.exec(l)?.[1]).sort()).toEqual([...skipped].sort());
    for (const note of notes) {
      expect(note).toMatch(/^note: backend '[^']+' unavailable: .+ \('flatsparse doctor' says how to enable it\)$/);
      expect(note).not.toContain('Fix:');
    }
    // Each run still says which backend it trained on.
    expect(lines.filter((l) => l.startsWith('backend: '))).toHaveLength(3);
  }, 120_000);
});
