import { writeDirAtomic } from '@flatsparse/core';
import { ConfigError } from '@flatsparse/plugin-api';
import { mkdir, readdir, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { activationTemplate } from './kinds/activation.js';
import { estimatorTemplate } from './kinds/estimator.js';
import { metricTemplate } from './kinds/metric.js';
import { regularizerTemplate } from './kinds/regularizer.js';
import { GITIGNORE, TSCONFIG, TSCONFIG_BUILD, VITEST_CONFIG, conformanceTest, packageJson, readme } from './package-files.js';
import { contributionName, identifierOf, validatePackageName } from './plugin-name.js';
import { PLUGIN_KINDS, type KindTemplate, type PluginKind, type TemplateContext } from './types.js';
import { scaffoldVersions } from './versions.js';

const TEMPLATES: Readonly<Record<PluginKind, KindTemplate>> = {
  activation: activationTemplate,
  metric: metricTemplate,
  estimator: estimatorTemplate,
  regularizer: regularizerTemplate,
};

/** What `scaffoldPlugin` is asked for. */
export interface ScaffoldRequest {
  /** npm package name, also the plugin's name. */
  readonly name: string;
  /** What the plugin contributes. */
  readonly kind: string;
  /** Directory to create (default: the unscoped name, under the current directory). */
  readonly dir?: string;
}

/** What `scaffoldPlugin` wrote. */
export interface ScaffoldResult {
  /** Absolute path of the new package. */
  readonly dir: string;
  /** Name of the contribution (for `activation:` / `metrics:` in configs). */
  readonly contribution: string;
  /** What the plugin contributes. */
  readonly kind: PluginKind;
  /** Paths of the files written, relative to `dir`, sorted. */
  readonly files: readonly string[];
  /** The template of the kind (its example options, for the printed next steps). */
  readonly template: KindTemplate;
}

/** The files of a plugin package of one kind, by path relative to the package root. */
function pluginFiles(ctx: TemplateContext): Record<string, string> {
  const kind = TEMPLATES[ctx.kind];
  return {
    'package.json': packageJson(ctx, kind),
    'README.md': readme(ctx, kind),
    'tsconfig.json': TSCONFIG,
    'tsconfig.build.json': TSCONFIG_BUILD,
    'vitest.config.ts': VITEST_CONFIG,
    '.gitignore': GITIGNORE,
    'src/index.ts': kind.source(ctx),
    'test/conformance.test.ts': conformanceTest(ctx, kind),
    [`test/${ctx.kind}.test.ts`]: kind.test(ctx),
  };
}

/**
 * Generates a plugin package (TypeScript sources, tsc build, vitest tests including the core
 * conformance suite, README card) that builds and passes its tests as generated. Validates the name
 * and the kind, refuses a directory that exists and is not empty, and writes every file into a
 * temporary sibling directory that is renamed into place (a failure leaves nothing half-written).
 */
export async function scaffoldPlugin(request: ScaffoldRequest): Promise<ScaffoldResult> {
  validatePackageName(request.name);
  if (!(PLUGIN_KINDS as readonly string[]).includes(request.kind)) {
    throw new ConfigError('--kind', `unknown plugin kind '${request.kind}'.`, {
      received: request.kind,
      expected: `one of ${PLUGIN_KINDS.join(', ')}`,
      fix: `pass --kind ${PLUGIN_KINDS.join('|')}.`,
    });
  }
  const kind = request.kind as PluginKind;
  const dir = resolve(request.dir ?? request.name.replace(/^@[^/]+\//, ''));
  await claimDirectory(dir);
  const contribution = contributionName(request.name);
  const ctx: TemplateContext = { name: request.name, contribution, identifier: identifierOf(contribution), kind, versions: await scaffoldVersions() };
  const files = pluginFiles(ctx);
  await writeDirAtomic(dir, async (tmp) => {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(tmp, path)), { recursive: true });
      await writeFile(join(tmp, path), text);
    }
  });
  return { dir, contribution: ctx.contribution, kind, files: Object.keys(files).sort(), template: TEMPLATES[kind] };
}

/** Fails with E_CONFIG_INVALID if `dir` exists and is a file or a non-empty directory; removes an empty one (it is renamed into place). */
async function claimDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (info === undefined) return;
  const entries = info.isDirectory() ? await readdir(dir) : undefined;
  if (entries !== undefined && entries.length === 0) {
    await rmdir(dir);
    return;
  }
  const holds = entries === undefined ? 'is a file' : `is not empty (it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})`;
  throw new ConfigError('--dir', `'${dir}' already exists and ${holds}; new-plugin never overwrites.`, {
    received: dir,
    fix: `pass --dir with a new directory (for example --dir ${dir}-2), or move '${dir}' away first.`,
  });
}
