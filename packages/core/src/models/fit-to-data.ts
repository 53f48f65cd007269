import { ModelConfigError } from '@flatsparse/plugin-api';

/** Refuses a model option the data set contradicts (E_MODEL_CONFIG naming the key and the value the data has). */
export function agreeWithData(key: string, configured: unknown, fromData: unknown): void {
  if (JSON.stringify(configured) !== JSON.stringify(fromData)) throw misfit(key, configured, `the data set has ${JSON.stringify(fromData)}`, `set ${key} to ${JSON.stringify(fromData)} or leave it out`);
}

/** E_MODEL_CONFIG for an option that does not fit the data. */
export function misfit(key: string, received: unknown, why: string, fix: string): ModelConfigError {
  return new ModelConfigError(`'${key}' does not fit the data: ${why}.`, { received, fix: `${fix}.` });
}
