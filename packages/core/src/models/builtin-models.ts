import type { Plugin } from '@flatsparse/plugin-api';
import { gptModel } from './gpt/index.js';
import { vitModel } from './vit/index.js';

/**
 * The built-in model plugins, one line each. A run resolves `model.kind` among the models its plugins
 * contribute, then these (a listed plugin may shadow a built-in kind by contributing the same name).
 */
export function builtinModelPlugins(): Plugin[] {
  return [gptModel(), vitModel()];
}
