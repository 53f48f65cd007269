import type { BackendInfo } from './backend.js';
import { createToken } from './token.js';

/** Tokens the composition root provides to every run; plugins read them with `ctx.get`. */
export const CoreTokens = Object.freeze({
  /** The backend the run computes on (name, tfjs backend, fallback, facts). */
  backend: createToken<BackendInfo>('core.backend'),
  /** The run's seed. */
  seed: createToken<number>('core.seed'),
});
