import { pascalCase } from './plugin-name.js';
import type { KindTemplate, TemplateContext } from './types.js';

/** A package name as a YAML scalar: quoted when it starts with '@' (a reserved indicator in YAML). */
export function yamlName(name: string): string {
  return name.startsWith('@') ? `'${name}'` : name;
}

/** The parts of src/index.ts every kind shares: imports, name and versions, the published options schema and its parser. */
export interface SourceHead {
  /** Named imports from '@flatsparse/plugin-api' besides parseOptions and the Plugin type (for example 'interval, type ActivationFunction'). */
  readonly apiImports: string;
  /** TSDoc lines describing the options (without the comment markers). */
  readonly optionsDoc: string;
  /** The zod object of the options (for example 'z.strictObject({ threshold: z.number().default(0.5) })'). */
  readonly schema: string;
}

/** The first half of src/index.ts: imports, PLUGIN_NAME / PLUGIN_VERSION / API_VERSION, optionsSchema and its parser. */
export function sourceHead(ctx: TemplateContext, head: SourceHead): string {
  return `import { parseOptions, ${head.apiImports}, type Plugin } from '@flatsparse/plugin-api';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** The plugin's name: its npm package name, unique within a run. */
export const PLUGIN_NAME = '${ctx.name}';
/** The plugin's own version; keep it equal to package.json's (a test checks it). */
export const PLUGIN_VERSION = '0.1.0';
/** Range of @flatsparse/plugin-api versions this plugin supports; the host checks it before a run starts. */
export const API_VERSION = '${ctx.versions.apiRange}';

/**
${head.optionsDoc
  .split('\n')
  .map((line) => ` * ${line}`.trimEnd())
  .join('\n')}
 *
 * Published as \`optionsSchema\` so that a pipeline validates a config's \`options\` before any
 * training starts (zod objects implement Standard Schema v1); the factory validates them again.
 */
export const optionsSchema = ${head.schema};

/** Options as written in a config (\`options:\`) or passed from code. */
export type ${pascalCase(ctx.identifier)}Options = z.input<typeof optionsSchema>;

/** Validates options (undefined counts as {}), or throws E_PLUGIN_INVALID naming the option and what the schema accepts. */
function parsedOptions(options: unknown): z.output<typeof optionsSchema> {
  return parseOptions(optionsSchema, options, { plugin: PLUGIN_NAME, fix: 'see README.md.' });
}
`;
}

/** package.json: ESM, exports map (types + import -> dist), the plugin API and tfjs-core as peers, the engine and the wasm backend for tests. */
export function packageJson(ctx: TemplateContext, kind: KindTemplate): string {
  const v = ctx.versions;
  const manifest = {
    name: ctx.name,
    version: '0.1.0',
    description: `flatsparse ${ctx.kind} plugin: ${kind.summary}`,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    keywords: ['flatsparse', 'flatsparse-plugin', ctx.kind],
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
    files: ['dist', 'README.md'],
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json',
      test: 'vitest run',
      prepublishOnly: 'npm run typecheck && npm test && npm run build',
    },
    peerDependencies: { '@flatsparse/plugin-api': `^${v.pluginApi}`, '@tensorflow/tfjs-core': `^${v.tfjsCore}` },
    dependencies: { zod: v.zod },
    devDependencies: {
      '@flatsparse/backend-wasm': `^${v.backendWasm}`,
      '@flatsparse/core': `^${v.core}`,
      '@flatsparse/plugin-api': `^${v.pluginApi}`,
      '@tensorflow/tfjs-core': `^${v.tfjsCore}`,
      '@types/node': v.typesNode,
      typescript: v.typescript,
      vitest: v.vitest,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** tsconfig.json: type-checks sources and tests (no output). */
export const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      declaration: true,
      declarationMap: true,
      sourceMap: true,
      types: ['node'],
      noEmit: true,
    },
    include: ['src', 'test', 'vitest.config.ts'],
  },
  null,
  2,
)}\n`;

/** tsconfig.build.json: compiles src/ to dist/ (JavaScript, declarations, maps). */
export const TSCONFIG_BUILD = `${JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: false, rootDir: 'src', outDir: 'dist' }, include: ['src'] }, null, 2)}\n`;

/** vitest.config.ts: tests under test/, with room for a backend to start. */
export const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';

// The conformance suite initialises a tfjs backend and runs a few synthetic training steps per check:
// allow more than vitest's default 5 s per test.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
`;

/** .gitignore. */
export const GITIGNORE = 'node_modules/\ndist/\n*.tsbuildinfo\n';

/** test/conformance.test.ts: the plugin API's plugin suite on the wasm backend. */
export function conformanceTest(ctx: TemplateContext, kind: KindTemplate): string {
  return `import { wasmBackend } from '@flatsparse/backend-wasm';
import { registerGradients } from '@flatsparse/core';
import { describePluginConformance } from '@flatsparse/plugin-api/testing/vitest';
import create from '../src/index.js';

// The plugin suite every flatsparse plugin runs (@flatsparse/plugin-api/testing): the plugin validates
// (shape, name, version, plugin API range), its hooks run in order, its failures are attributed to it,
// it leaks no tensor over a run, and its ${ctx.kind} '${ctx.contribution}' passes the ${ctx.kind} checks.
// On the embedded wasm backend; add a line per backend you support (for example webgpuBackend() from
// @flatsparse/backend-webgpu): an unavailable backend skips with its reason printed.
// tfjs-core registers no gradients by itself; the engine's registerGradients does, as a training run would.
describePluginConformance('${ctx.name}', () => create(${kind.conformanceOptions ?? kind.exampleOptions}), { backend: wasmBackend(), setup: registerGradients });
`;
}

/** README.md: the plugin's card (what it does, how to use it, options, caveats, backends). */
export function readme(ctx: TemplateContext, kind: KindTemplate): string {
  const card = kind.readme(ctx);
  const rows: (readonly [string, string])[] = [
    ['contributes', `${ctx.kind} \`${ctx.contribution}\``],
    ...card.rows,
    ['plugin API', `\`${ctx.versions.apiRange}\` of @flatsparse/plugin-api (\`apiVersion\`; checked before every run)`],
    ['backends', 'any (tfjs-core ops only); the tests run the conformance suite on wasm'],
  ];
  return `# ${ctx.name}

A [flatsparse](https://www.npmjs.com/package/@flatsparse/plugin-api) ${ctx.kind} plugin: ${kind.summary}

| | |
| --- | --- |
${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}

## Use

\`\`\`sh
npm install ${ctx.name}
\`\`\`

${card.usage}

From code, the default export is the plugin factory; it validates its options with the published
\`optionsSchema\` and throws \`E_PLUGIN_INVALID\` naming the bad option:

\`\`\`ts
import create from '${ctx.name}';

const plugin = create(${kind.exampleOptions});
\`\`\`

## Caveats

${card.caveats.map((c) => `- ${c}`).join('\n')}

## Develop

\`\`\`sh
npm install
npm test            # the flatsparse plugin conformance suite and numerical tests, on the wasm backend
npm run typecheck   # sources and tests
npm run build       # src/ -> dist/ (what npm publish ships)
npm publish         # runs typecheck, tests and build first (prepublishOnly)
\`\`\`

Keep \`PLUGIN_VERSION\` in \`src/index.ts\` equal to \`version\` in package.json (a test checks it), and
widen \`API_VERSION\` only after testing against the new @flatsparse/plugin-api.
`;
}
