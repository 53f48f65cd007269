import { TokenDuplicateError } from './errors.js';
import type { Token } from './token.js';

/**
 * Where provided values live. The composition root backs it with a tsyringe child container; the
 * plugin host only sees this interface, so plugins never reach the container.
 */
export interface TokenStore {
  /** Stores a value under a token; throws E_TOKEN_DUPLICATE if the token already has one. */
  provide<T>(token: Token<T>, value: T, provider: string): void;
  /** Returns the value, or undefined if nothing was provided. */
  tryGet<T>(token: Token<T>): T | undefined;
}

/** A TokenStore on a plain Map, for tests and for hosts built without the composition root. */
export function createMapTokenStore(): TokenStore {
  const values = new Map<symbol, { value: unknown; provider: string }>();
  return {
    provide(token, value, provider) {
      const prior = values.get(token.key);
      if (prior) throw new TokenDuplicateError(token.name, prior.provider, provider);
      values.set(token.key, { value, provider });
    },
    tryGet<T>(token: Token<T>) {
      return values.get(token.key)?.value as T | undefined;
    },
  };
}

