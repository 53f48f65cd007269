import { z } from 'zod';
import type { Availability, Backend } from '@flatsparse/plugin-api';
import { BackendInvalidError, BackendUnknownError } from './errors.js';
import { safeAvailability, BackendUnavailableError } from '@flatsparse/plugin-api/host';

const fn = z.custom<() => unknown>((v) => typeof v === 'function', { message: 'must be a function' });
const backendSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
  tfjsName: z.string().min(1),
  priority: z.number().finite(),
  capabilities: z.object({ float16: z.boolean(), exactSecondOrder: z.boolean(), gpu: z.boolean() }),
  install: z.string().min(1),
  isAvailable: fn,
  init: fn,
  dispose: fn,
});

/** A candidate that `auto` passed over, and why. */
export interface SkippedBackend {
  readonly name: string;
  readonly reason: string;
  /** How to make it available (from its availability check). */
  readonly fix?: string;
}

/** The outcome of selection: the backend to initialise and the candidates passed over. */
export interface BackendSelection {
  readonly backend: Backend;
  readonly availability: Availability & { available: true };
  readonly skipped: readonly SkippedBackend[];
}

/** Known backends by name. Built from the descriptors a run is given; nothing registers on import. */
export class BackendRegistry {
  private readonly byName = new Map<string, Backend>();

  constructor(backends: readonly Backend[] = []) {
    for (const b of backends) this.add(b);
  }

  /** Adds a descriptor after validating its shape; throws on duplicate names. */
  add(backend: Backend): this {
    const label = typeof (backend as { name?: unknown })?.name === 'string' ? backend.name : '(unnamed)';
    const parsed = backendSchema.safeParse(backend);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BackendInvalidError(label, `'${issue.path.join('.')}' ${issue.message}.`);
    }
    if (this.byName.has(backend.name)) throw new BackendInvalidError(backend.name, 'another backend descriptor has the same name; pass each backend once.');
    this.byName.set(backend.name, backend);
    return this;
  }

  /** The descriptor of that name, or undefined. */
  get(name: string): Backend | undefined {
    return this.byName.get(name);
  }

  /** Every descriptor, highest priority first. */
  list(): Backend[] {
    return [...this.byName.values()].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  }

  /** Availability of every backend, highest priority first (for `flatsparse backends`). */
  async survey(): Promise<{ backend: Backend; availability: Availability }[]> {
    return Promise.all(this.list().map(async (backend) => ({ backend, availability: await safeAvailability(backend) })));
  }

  /**
   * Picks a backend. 'auto' takes the available backend with the highest priority and records why
   * each better-ranked candidate was skipped. A name picks that backend or fails with
   * E_BACKEND_UNKNOWN / E_BACKEND_UNAVAILABLE (listing the known and the available backends).
   */
  async select(request = 'auto'): Promise<BackendSelection> {
    const known = this.list().map((b) => b.name);
    if (request === 'auto') {
      const skipped: SkippedBackend[] = [];
      for (const backend of this.list()) {
        const availability = await safeAvailability(backend);
        if (availability.available) return { backend, availability, skipped };
        skipped.push({ name: backend.name, reason: availability.reason, fix: availability.fix });
      }
      throw new BackendUnavailableError(
        'auto',
        `no backend is available (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ') || 'none registered'}).`,
        'install @flatsparse/backend-wasm (the embedded default) and pass wasmBackend() to the run.',
        known,
        [],
      );
    }
    const backend = this.byName.get(request);
    if (!backend) throw new BackendUnknownError(request, known);
    const availability = await safeAvailability(backend);
    if (!availability.available) {
      const survey = await this.survey();
      const available = survey.filter((s) => s.availability.available).map((s) => s.backend.name);
      throw new BackendUnavailableError(request, availability.reason, `${availability.fix} (install: ${backend.install})`, known, available);
    }
    return { backend, availability, skipped: [] };
  }
}
