import type { Plugin } from 'vite';

const PREFIX = '\0flatsparse-node-stub:';

/** Every function the workspace packages import from node: modules (run directories, checkpoints, the plugin loader). */
const NAMES = [
  'access', 'basename', 'createRequire', 'dirname', 'existsSync', 'fileURLToPath', 'isAbsolute', 'join', 'mkdir', 'mkdirSync', 'mkdtemp',
  'mkdtempSync', 'open', 'pathToFileURL', 'randomBytes', 'readFile', 'readFileSync', 'readdir', 'realpathSync', 'register', 'relative',
  'rename', 'resolve', 'rm', 'stat', 'statSync', 'statfs', 'tmpdir', 'totalmem', 'writeFile', 'writeFileSync',
];

/**
 * Node built-ins that @flatsparse/core imports for run directories, checkpoints and the plugin loader
 * (node:fs, node:fs/promises, node:path, node:url, node:os, node:crypto, node:module), replaced in the browser bundle by functions that throw: the
 * page writes no files, and a call that reached them would say so instead of failing obscurely.
 */
export function nodeStubs(): Plugin {
  return {
    name: 'flatsparse-node-stubs',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? `${PREFIX}${id}` : undefined),
    load(id) {
      if (!id.startsWith(PREFIX)) return undefined;
      const name = id.slice(PREFIX.length);
      const fail = `() => { throw new Error('${name} is not available in the browser demo (no files are written there)'); }`;
      return `${NAMES.map((n) => `export const ${n} = ${fail};`).join('\n')}\nexport const sep = '/';\nexport const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };\nexport default {};`;
    },
  };
}
