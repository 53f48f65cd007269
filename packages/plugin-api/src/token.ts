/**
 * Typed tokens: a plugin provides a value under a token and another plugin gets it back, typed,
 * without either seeing the dependency-injection container.
 */
export interface Token<T> {
  /** Unique key used by the container. */
  readonly key: symbol;
  /** Human-readable name used in error messages. */
  readonly name: string;
  /** Phantom member carrying the value type; never set at run time. */
  readonly __type?: T;
}

/** Creates a token. Two calls with the same name give two distinct tokens. */
export function createToken<T>(name: string): Token<T> {
  return Object.freeze({ key: Symbol(name), name });
}
