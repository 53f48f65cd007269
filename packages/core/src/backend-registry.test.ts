import { describe, expect, it } from 'vitest';
import type { Availability, Backend } from '@flatsparse/plugin-api';
import { BackendRegistry } from './backend-registry.js';
import { BackendInvalidError, BackendUnknownError } from './errors.js';
import { BackendUnavailableError } from '@flatsparse/plugin-api/host';

function fake(name: string, priority: number, availability: Availability | (() => never)): Backend {
  return {
    name,
    tfjsName: name,
    priority,
    capabilities: { float16: false, exactSecondOrder: false, gpu: priority > 10 },
    install: `pnpm add @flatsparse/backend-${name}`,
    isAvailable: async () => (typeof availability === 'function' ? availability() : availability),
    init: async () => ({ name, tfjsName: name, detail: 'fake', capabilities: { float16: false, exactSecondOrder: false, gpu: false } }),
    dispose: async () => undefined,
  };
}
const yes: Availability = { available: true, detail: 'here' };
const no = (reason: string): Availability => ({ available: false, reason, fix: `fix ${reason}` });

describe('BackendRegistry.select', () => {
  const registry = () =>
    new BackendRegistry([
      fake('wasm', 10, yes),
      fake('cuda', 40, no('libcudart.so.11.0 missing.')),
      fake('webgpu', 30, () => {
        throw new Error('adapter probe crashed');
      }),
    ]);

  it("'auto' falls through by priority and records why each better candidate was skipped", async () => {
    const sel = await registry().select('auto');
    expect(sel.backend.name).toBe('wasm');
    expect(sel.skipped.map((s) => s.name)).toEqual(['cuda', 'webgpu']);
    expect(sel.skipped[0]!.reason).toContain('libcudart');
    expect(sel.skipped[1]!.reason).toContain('adapter probe crashed');
  });

  it('picks the highest-priority available backend', async () => {
    const sel = await new BackendRegistry([fake('wasm', 10, yes), fake('webgpu', 30, yes)]).select();
    expect(sel.backend.name).toBe('webgpu');
    expect(sel.skipped).toEqual([]);
  });

  it('selects an explicit available backend even if a better one exists', async () => {
    const sel = await new BackendRegistry([fake('wasm', 10, yes), fake('webgpu', 30, yes)]).select('wasm');
    expect(sel.backend.name).toBe('wasm');
  });

  it('fails for an unavailable backend listing known and available ones and how to install', async () => {
    const err = (await registry().select('cuda').catch((e: unknown) => e)) as BackendUnavailableError;
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.message).toContain('libcudart.so.11.0 missing.');
    expect(err.message).toContain('Known backends: cuda, webgpu, wasm');
    expect(err.message).toContain('available here: wasm');
    expect(err.fix).toContain('pnpm add @flatsparse/backend-cuda');
  });

  it('fails for an unknown name listing the known ones', async () => {
    await expect(registry().select('tpu')).rejects.toThrow(BackendUnknownError);
    await expect(registry().select('tpu')).rejects.toThrow(/'auto' or one of cuda, webgpu, wasm/);
  });

  it("fails 'auto' when nothing is available, with every reason", async () => {
    const err = await new BackendRegistry([fake('cuda', 40, no('no driver.'))]).select().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain('cuda: no driver.');
  });

  it('validates descriptors and rejects duplicates', () => {
    expect(() => new BackendRegistry([{ ...fake('wasm', 10, yes), init: 'nope' } as unknown as Backend])).toThrow(BackendInvalidError);
    expect(() => new BackendRegistry([fake('wasm', 10, yes), fake('wasm', 5, yes)])).toThrow(/'wasm' is invalid: another backend descriptor has the same name/);
  });
});
