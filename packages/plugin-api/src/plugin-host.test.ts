import { describe, expect, it } from 'vitest';
import { PluginAsyncHookError, PluginError, RunDisposedError, TokenDuplicateError, TokenMissingError } from './errors.js';
import type { EventName } from './events.js';
import type { Plugin, PluginHooks } from './plugin.js';
import { PluginHost, isPreparedPlugins, preparePlugins } from './plugin-host.js';
import { PLUGIN_API_VERSION } from './version.js';
import { createToken } from './token.js';

const base = { version: '1.0.0', apiVersion: '^0.1.0' } as const;
const endPayload = { step: 5, reason: 'completed' } as const;

/** A plugin that records `${name}:${event}` into `log` for every listed event. */
function recorder(name: string, log: string[], extra: Partial<Plugin> = {}, events: EventName[] = ['end']): Plugin {
  const hooks: Record<string, unknown> = {};
  for (const e of events) hooks[e] = () => void log.push(`${name}:${e}`);
  return { name, ...base, hooks: hooks as PluginHooks, ...extra };
}

describe('PluginHost dispatch order', () => {
  it('runs hooks in declared plugin order, not in the order given', async () => {
    const log: string[] = [];
    const plugins = [recorder('metrics', log, { order: { after: ['zeroth-bias'] } }), recorder('zeroth-bias', log), recorder('alpha', log, { order: { after: ['metrics'] } })];
    const host = await PluginHost.create(plugins);
    await host.emit('end', endPayload);
    expect(log).toEqual(['zeroth-bias:end', 'metrics:end', 'alpha:end']);
    const reversed = await PluginHost.create([...plugins].reverse());
    expect(reversed.listenersOf('end')).toEqual(host.listenersOf('end'));
  });

  it("puts 'pre' hooks first and 'post' hooks last whatever the plugin order", async () => {
    const log: string[] = [];
    const host = await PluginHost.create([
      { name: 'a', ...base, hooks: { end: { handler: () => void log.push('a-post'), order: 'post' } } },
      { name: 'b', ...base, hooks: { end: () => void log.push('b-normal') } },
      { name: 'c', ...base, hooks: { end: { handler: () => void log.push('c-pre'), order: 'pre' } } },
    ]);
    await host.emit('end', endPayload);
    expect(log).toEqual(['c-pre', 'b-normal', 'a-post']);
  });

  it('orders hooks within a bucket by the plugins\' order constraints, not by listing order', async () => {
    const log: string[] = [];
    const host = await PluginHost.create([
      { name: 'late', ...base, order: { after: ['early'] }, hooks: { end: () => void log.push('late') } },
      { name: 'early', ...base, hooks: { end: () => void log.push('early') } },
    ]);
    await host.emit('end', endPayload);
    expect(log).toEqual(['early', 'late']);
  });

  it('runs setup in plugin order and lets later plugins get what earlier ones provide', async () => {
    const token = createToken<{ scale: number }>('test.scale');
    let seen: number | undefined;
    await PluginHost.create([
      { name: 'consumer', ...base, order: { after: ['provider'] }, setup: (ctx) => void (seen = ctx.get(token).scale) },
      { name: 'provider', ...base, setup: (ctx) => ctx.provide(token, { scale: 3 }) },
    ]);
    expect(seen).toBe(3);
  });
});

describe('PluginHost error attribution', () => {
  it('names the plugin, the event and the step of a throwing hook', async () => {
    const host = await PluginHost.create([
      { name: 'ok', ...base, hooks: { end: () => undefined } },
      { name: 'broken', ...base, hooks: { end: () => { throw new Error('boom'); } } },
    ]);
    const err = await host.emit('end', endPayload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ code: 'E_PLUGIN_HOOK', plugin: 'broken', event: 'end', step: 5 });
    expect((err as Error).message).toContain("Plugin 'broken' failed in 'end' at step 5: boom");
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('attributes failures of synchronous events and rejects promises returned from them', async () => {
    const payload = { step: 2, model: {} as never };
    const sync = await PluginHost.create([{ name: 'thrower', ...base, hooks: { afterStep: () => { throw new TypeError('bad'); } } }]);
    expect(() => sync.emitSync('afterStep', payload)).toThrow(/Plugin 'thrower' failed in 'afterStep' at step 2: bad/);
    const asyncHook = await PluginHost.create([{ name: 'slow', ...base, hooks: { afterStep: async () => undefined } }]);
    expect(() => asyncHook.emitSync('afterStep', payload)).toThrow(PluginAsyncHookError);
  });

  it('attributes a failing setup and errors raised through ctx.error', async () => {
    await expect(PluginHost.create([{ name: 'bad-setup', ...base, setup: () => { throw new Error('no'); } }])).rejects.toMatchObject({ plugin: 'bad-setup', event: 'setup' });
    const host = await PluginHost.create([{ name: 'raiser', ...base, hooks: { end: (_p, ctx) => { throw ctx.error('threshold must be > 0', { fix: 'set threshold: 1e-6' }); } } }]);
    const err = (await host.emit('end', endPayload).catch((e: unknown) => e)) as PluginError;
    expect(err).toMatchObject({ plugin: 'raiser', event: 'end', step: 5, fix: 'set threshold: 1e-6' });
  });

  it('reports missing and duplicate tokens with who asked', async () => {
    const token = createToken<number>('test.missing');
    await expect(PluginHost.create([{ name: 'needy', ...base, setup: (ctx) => void ctx.get(token) }])).rejects.toSatisfy((e: unknown) => e instanceof PluginError && e.cause instanceof TokenMissingError && /'needy' asked for 'test.missing'/.test(e.message));
    const dup = createToken<number>('test.dup');
    await expect(
      PluginHost.create([
        { name: 'one', ...base, setup: (ctx) => ctx.provide(dup, 1) },
        { name: 'two', ...base, setup: (ctx) => ctx.provide(dup, 2) },
      ]),
    ).rejects.toSatisfy((e: unknown) => e instanceof PluginError && e.cause instanceof TokenDuplicateError && /'one' and 'two'/.test(e.cause.message));
  });
});

describe('PluginHost disposal', () => {
  it('runs dispose steps in reverse registration order, once, and refuses events afterwards', async () => {
    const log: string[] = [];
    const host = await PluginHost.create([
      { name: 'a', ...base, setup: (ctx) => ctx.onDispose(() => void log.push('a')) },
      { name: 'b', ...base, setup: (ctx) => ctx.onDispose(() => void log.push('b')) },
    ]);
    await host.dispose();
    await host.dispose();
    expect(log).toEqual(['b', 'a']);
    await expect(host.emit('end', endPayload)).rejects.toBeInstanceOf(RunDisposedError);
  });

  it('runs every dispose step even when one fails, then reports the failure attributed', async () => {
    const log: string[] = [];
    const host = await PluginHost.create([
      { name: 'a', ...base, setup: (ctx) => ctx.onDispose(() => void log.push('a')) },
      { name: 'b', ...base, setup: (ctx) => ctx.onDispose(() => { throw new Error('leak'); }) },
    ]);
    await expect(host.dispose()).rejects.toMatchObject({ plugin: 'b', event: 'dispose' });
    expect(log).toEqual(['a']);
  });
});

describe('preparePlugins: plugins checked, ordered and collected once per run', () => {
  const valid = { version: '1.0.0', apiVersion: `^${PLUGIN_API_VERSION}` } as const;
  const method = (name: string): Plugin => ({ name, ...valid, contributes: { updateMethods: [{ name: `${name}-update`, gradients: (input) => input.observedGradient() }] } });

  it('gives the host its plugins in run order and its contributions, used as they are', async () => {
    const prepared = preparePlugins([recorder('b', [], { order: { after: ['a'] }, apiVersion: valid.apiVersion }), recorder('a', [], { apiVersion: valid.apiVersion })], ['plugins.0', 'plugins.1']);
    expect(prepared.plugins.map((p) => p.name)).toEqual(['a', 'b']);
    expect(isPreparedPlugins(prepared)).toBe(true);
    expect(isPreparedPlugins({ plugins: prepared.plugins, contributions: prepared.contributions })).toBe(false);
    const host = await PluginHost.create(prepared);
    expect(host.plugins).toBe(prepared.plugins);
    expect(host.contributions).toBe(prepared.contributions);
  });

  it('fails on the contract, the API range, a name clash and two update methods before any host exists', () => {
    expect(() => preparePlugins([{ name: 'x', ...valid, hooks: { nope: () => undefined } }], ['plugins.0'])).toThrow(/E_PLUGIN_INVALID|nope/);
    expect(() => preparePlugins([{ name: 'old', version: '1.0.0', apiVersion: '^0.1.0' }], ['plugins.0'])).toThrow(expect.objectContaining({ code: 'E_PLUGIN_API_MISMATCH' }));
    expect(() => preparePlugins([{ name: 'x', ...valid }, { name: 'x', ...valid }], ['plugins.0', 'plugins.1'])).toThrow(expect.objectContaining({ code: 'E_PLUGIN_NAME_CLASH', message: expect.stringMatching(/plugins\.0.*plugins\.1/) }));
    expect(() => preparePlugins([method('one'), method('two')])).toThrow(expect.objectContaining({ code: 'E_UPDATE_METHOD_CONFLICT', message: expect.stringMatching(/'one-update'.*'two-update'/) }));
  });
});
