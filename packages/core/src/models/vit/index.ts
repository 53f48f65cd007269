/** The ViT model plugin: its config, model class and architecture (the contract of @flatsparse/plugin-api). */
import type { Plugin } from '@flatsparse/plugin-api';
import { modelPlugin } from '../model-plugin.js';
import { vitArchitecture } from './vit-architecture.js';

export { parseVitConfig, type VitConfig, type VitConfigInput } from './vit-config.js';
export { VitModel, createVit } from './vit-model.js';
export { vitArchitecture } from './vit-architecture.js';

/** The plugin contributing model kind 'vit'. */
export function vitModel(): Plugin {
  return modelPlugin(vitArchitecture);
}
