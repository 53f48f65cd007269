/**
 * Loads the built workspace packages (dist/, made by `pnpm build`) and the one tfjs-core they share.
 * The files are imported by path, so the bench needs no workspace dependency of its own.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);

async function importBuilt(pkg, file = 'index.js') {
  const entry = new URL(`packages/${pkg}/dist/${file}`, root);
  if (!existsSync(fileURLToPath(entry))) {
    throw new Error(`packages/${pkg} is not built (${fileURLToPath(entry)} is missing): run \`pnpm build\` first, or use \`pnpm bench\`, which builds.`);
  }
  return import(entry.href);
}

/**
 * { core, plugins, wasm, native, tf, tfWasm }: the engine with the plugin API's entries merged in
 * (@flatsparse/core, @flatsparse/plugin-api and its '/host' entry, as one namespace), /plugins,
 * /backend-wasm, /backend-native, tfjs-core and tfjs-backend-wasm.
 */
export async function loadPackages() {
  const core = { ...(await importBuilt('plugin-api')), ...(await importBuilt('plugin-api', 'host.js')), ...(await importBuilt('core')) };
  const plugins = await importBuilt('plugins');
  const wasm = await importBuilt('backend-wasm');
  const native = await importBuilt('backend-native');
  // The same file core's dist resolves '@tensorflow/tfjs-core' to (the package's "main").
  const require = createRequire(new URL('packages/core/package.json', root));
  const tf = await import(pathToFileURL(require.resolve('@tensorflow/tfjs-core')).href);
  const requireWasm = createRequire(new URL('packages/backend-wasm/package.json', root));
  const tfWasm = await import(pathToFileURL(requireWasm.resolve('@tensorflow/tfjs-backend-wasm')).href);
  return { core, plugins, wasm, native, tf, tfWasm };
}
