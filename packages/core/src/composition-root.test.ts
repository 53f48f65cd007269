import { describe, expect, it } from 'vitest';
import { type Backend, CoreTokens, BackendInitError, createToken } from '@flatsparse/plugin-api';
import { createRun } from './composition-root.js';
import { PluginApiMismatchError } from '@flatsparse/plugin-api/host';

function fakeBackend(log: string[], opts: { failInit?: boolean } = {}): Backend {
  return {
    name: 'fake',
    tfjsName: 'fake',
    priority: 1,
    capabilities: { float16: false, exactSecondOrder: false, gpu: false },
    install: 'nothing to install',
    isAvailable: async () => ({ available: true, detail: 'fake' }),
    init: async () => {
      log.push('backend:init');
      if (opts.failInit) throw new Error('device lost');
      return { name: 'fake', tfjsName: 'fake', detail: 'fake backend', capabilities: { float16: false, exactSecondOrder: false, gpu: false } };
    },
    dispose: async () => void log.push('backend:dispose'),
  };
}

describe('createRun (composition root)', () => {
  it('validates plugins before touching the backend', async () => {
    const log: string[] = [];
    await expect(createRun({ backends: [fakeBackend(log)], plugins: [{ name: 'p', version: '1.0.0', apiVersion: '^7.0.0' }] })).rejects.toThrow(PluginApiMismatchError);
    expect(log).toEqual([]);
  });

  it('initialises the backend, provides core tokens to plugins, and disposes plugins before the backend', async () => {
    const log: string[] = [];
    const seen: unknown[] = [];
    const run = await createRun({
      backends: [fakeBackend(log)],
      seed: 17,
      plugins: [
        {
          name: 'p',
          version: '1.0.0',
          apiVersion: '^0.7.0',
          setup: (ctx) => {
            seen.push(ctx.get(CoreTokens.backend).detail, ctx.get(CoreTokens.seed));
            ctx.onDispose(() => void log.push('plugin:dispose'));
          },
        },
      ],
    });
    expect(seen).toEqual(['fake backend', 17]);
    expect(run.backend.name).toBe('fake');
    expect(run.tryResolve(CoreTokens.seed)).toBe(17);
    await run.dispose();
    await run.dispose();
    expect(log).toEqual(['backend:init', 'plugin:dispose', 'backend:dispose']);
  });

  it('keeps runs isolated: a token provided in one run is absent from the next', async () => {
    const token = createToken<string>('test.isolated');
    const log: string[] = [];
    const first = await createRun({ backends: [fakeBackend(log)], plugins: [{ name: 'p', version: '1.0.0', apiVersion: '^0.7.0', setup: (ctx) => ctx.provide(token, 'x') }] });
    expect(first.tryResolve(token)).toBe('x');
    const second = await createRun({ backends: [fakeBackend(log)] });
    expect(second.tryResolve(token)).toBeUndefined();
    await first.dispose();
    await second.dispose();
  });

  it('wraps a failing backend init with the backend name and a fix', async () => {
    const err = await createRun({ backends: [fakeBackend([], { failInit: true })] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendInitError);
    expect((err as Error).message).toMatch(/Backend 'fake' failed to initialise: device lost/);
  });
});
