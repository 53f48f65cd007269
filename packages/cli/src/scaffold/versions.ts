import { PLUGIN_API_VERSION } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScaffoldVersions } from './types.js';

/** Ranges of the tools the templates are written and tested against (zod 4 API, vitest 4 adapters). */
const TOOLS = { zod: '^4.1.12', typescript: '^5.9.3', vitest: '^4.1.12', typesNode: '^20.19.0' } as const;

/**
 * The versions a generated package declares, read at generation time from what this CLI runs with:
 * the plugin API range (`^PLUGIN_API_VERSION`), the installed @flatsparse/plugin-api, @flatsparse/core and
 * @flatsparse/backend-wasm versions and the tfjs-core version; tool ranges are the tested ones.
 */
export async function scaffoldVersions(): Promise<ScaffoldVersions> {
  const [pluginApi, core, backendWasm] = await Promise.all([installedVersion('@flatsparse/plugin-api'), installedVersion('@flatsparse/core'), installedVersion('@flatsparse/backend-wasm')]);
  return { apiRange: `^${PLUGIN_API_VERSION}`, pluginApi, core, backendWasm, tfjsCore: tf.version_core, ...TOOLS };
}

/** Version in the package.json of an installed package, found by resolving it and walking up to its package.json. */
async function installedVersion(pkg: string): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve(pkg));
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const manifest = await readFile(join(dir, 'package.json'), 'utf8').then((text) => JSON.parse(text) as { name?: string; version?: string }, () => undefined);
    if (manifest?.name === pkg && typeof manifest.version === 'string') return manifest.version;
    if (dirname(dir) === dir) {
      throw new Error(`no package.json of '${pkg}' above ${entry}: reinstall the flatsparse CLI so that its dependencies are complete.`);
    }
  }
}
