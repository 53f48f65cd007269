/** The GPT model plugin: its config, model class and architecture (the contract of @flatsparse/plugin-api). */
import type { Plugin } from '@flatsparse/plugin-api';
import { modelPlugin } from '../model-plugin.js';
import { gptArchitecture } from './gpt-architecture.js';

export { parseGptConfig, type GptConfig, type GptConfigInput } from './gpt-config.js';
export { GptModel, createGpt } from './gpt-model.js';
export { gptArchitecture } from './gpt-architecture.js';

/** The plugin contributing model kind 'gpt'. */
export function gptModel(): Plugin {
  return modelPlugin(gptArchitecture);
}
