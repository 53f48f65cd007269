import type { Plugin } from 'vite';

const PREFIX = '\0flatsparse-node-stub:';

/**
 * Node built-ins that @flatsparse/core imports for run directories and checkpoints (node:fs/promises,
 * node:path, node:crypto, node:module), replaced in the browser bundle by functions that throw: the
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
      const names = ['readFile', 'readdir', 'rm', 'stat', 'mkdir', 'open', 'rename', 'access', 'join', 'dirname', 'basename', 'randomBytes', 'register'];
      const fail = `() => { throw new Error('${name} is not available in the browser demo (no files are written there)'); }`;
      return `${names.map((n) => `export const ${n} = ${fail};`).join('\n')}\nexport default {};`;
    },
  };
}
