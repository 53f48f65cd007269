import type { ModelArchitecture, Plugin } from '@flatsparse/plugin-api';

/** Version of the built-in model plugins (they move with the models' code in this package). */
const BUILTIN_MODEL_VERSION = '1.0.0';

/** The plugin API range the built-in model plugins declare (contributes.models came in 0.7.2). */
const BUILTIN_MODEL_API_RANGE = '^0.7.2';

/** A plain plugin contributing one model architecture under the architecture's name (no hooks). */
export function modelPlugin(architecture: ModelArchitecture): Plugin {
  return { name: architecture.name, version: BUILTIN_MODEL_VERSION, apiVersion: BUILTIN_MODEL_API_RANGE, contributes: { models: [architecture as ModelArchitecture] } };
}
