// Module hooks of the tfjs-core op suite runner (run.mjs), installed by register-hooks.mjs. Nothing
// here changes what a file does; they only let Node load, unbundled, what the runner imports:
//
// 1. tfjs-core's dist/*.js files are ES modules written for bundlers: their relative imports have no
//    extension ('../index', '../jasmine_util'). A relative specifier that does not resolve from inside
//    tfjs-core's dist is retried with '.js', then '/index.js'.
// 2. tfjs-core's dist imports the CommonJS package seedrandom as a namespace and calls
//    `seedrandom.alea(...)`: bundlers expose the CommonJS properties as named exports, Node cannot
//    detect them (they are assigned at run time). 'seedrandom' imported from the dist resolves to a
//    small module that re-exports the package's own functions under their names.
// 3. The flatsparse packages resolve to their TypeScript sources (the '@flatsparse/source' export
//    condition, as under vitest), so the runner tests the working tree without a build: '.ts' files
//    are transpiled one at a time with TypeScript's transpileModule (the sources are written for
//    isolatedModules and verbatimModuleSyntax, so no type information is needed), and their './x.js'
//    imports resolve to './x.ts'.
import { readFile } from 'node:fs/promises';

const TFJS_CORE_DIST = '/@tensorflow/tfjs-core/dist/';
const SOURCE_CONDITION = '@flatsparse/source';
const SEEDRANDOM_SHIM = 'flatsparse-tfjs-suite:seedrandom';
let ts;

function isRelative(specifier) {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

async function firstResolved(candidates, context, nextResolve) {
  for (const candidate of candidates) {
    try {
      return await nextResolve(candidate, context);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? '';
  if (specifier === 'seedrandom' && parent.includes(TFJS_CORE_DIST)) {
    return { url: `${SEEDRANDOM_SHIM}?from=${encodeURIComponent(parent)}`, shortCircuit: true };
  }
  const conditions = context.conditions.includes(SOURCE_CONDITION) ? context.conditions : [SOURCE_CONDITION, ...context.conditions];
  const withSource = { ...context, conditions };
  try {
    return await nextResolve(specifier, withSource);
  } catch (err) {
    if (isRelative(specifier)) {
      let found;
      if (parent.includes(TFJS_CORE_DIST) && !specifier.endsWith('.js')) {
        found = await firstResolved([`${specifier}.js`, `${specifier}/index.js`], withSource, nextResolve);
      } else if (parent.endsWith('.ts') && specifier.endsWith('.js')) {
        found = await firstResolved([`${specifier.slice(0, -3)}.ts`], withSource, nextResolve);
      }
      if (found !== undefined) return found;
    }
    throw err;
  }
}

export async function load(url, context, nextLoad) {
  if (url.startsWith(SEEDRANDOM_SHIM)) {
    const from = decodeURIComponent(new URL(url).searchParams.get('from') ?? '');
    const source = [
      `import { createRequire } from 'node:module';`,
      `const seedrandom = createRequire(${JSON.stringify(from)})('seedrandom');`,
      `export default seedrandom;`,
      `export const { alea, xor128, xorwow, xorshift7, xor4096, tychei } = seedrandom;`,
    ].join('\n');
    return { format: 'module', source, shortCircuit: true };
  }
  if (url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/')) {
    ts ??= (await import('typescript')).default;
    const path = new URL(url).pathname;
    const out = ts.transpileModule(await readFile(path, 'utf8'), {
      fileName: path,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        experimentalDecorators: true,
        verbatimModuleSyntax: true,
        inlineSourceMap: true,
        inlineSources: true,
      },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return nextLoad(url, context);
}
