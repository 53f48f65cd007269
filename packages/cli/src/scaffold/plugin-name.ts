import { ConfigError } from '@flatsparse/plugin-api';
import { isBuiltin } from 'node:module';

const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const PREFIX = 'flatsparse-plugin-';

// Words a generated factory may not be named: JavaScript's reserved words and the bindings the
// templates import or declare themselves.
const TAKEN = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'implements import in instanceof interface let new null package private protected public return static super switch this throw ' +
    'true try typeof var void while with yield arguments eval tf z interval constantSchedule registerGradients PluginInvalidError ' +
    'optionsSchema parseOptions isRegExp'
  ).split(' '),
);

/**
 * Checks that `name` can be published to npm and used as a plugin name: lowercase letters, digits and
 * `- . _ ~`, an optional `@scope/`, at most 214 characters, not a Node built-in module. Throws
 * E_CONFIG_INVALID saying what is wrong and how to fix it.
 */
export function validatePackageName(name: string): void {
  const problem =
    name.length === 0 ? 'is empty'
    : name.length > 214 ? 'is longer than 214 characters'
    : name !== name.toLowerCase() ? 'has uppercase letters (npm names are lowercase)'
    : !NPM_NAME.test(name) ? "is not an npm package name (lowercase letters, digits and '-', '.', '_', '~', starting with a letter or digit, with an optional @scope/)"
    : isBuiltin(name) || name === 'node_modules' ? 'is taken by Node itself'
    : undefined;
  if (problem !== undefined) {
    throw new ConfigError('<name>', `the plugin name ${problem}.`, {
      received: name,
      expected: "an npm package name such as 'flatsparse-plugin-fatrelu' or '@you/flatsparse-plugin-fatrelu'",
      fix: `pick a name like '${PREFIX}${suggestion(name)}': flatsparse new-plugin ${PREFIX}${suggestion(name)} --kind activation`,
    });
  }
}

/**
 * The contribution name of a package: its unscoped name without the 'flatsparse-plugin-' prefix, in
 * kebab-case as plugin API 0.7 requires ('flatsparse-plugin-dead-zone' -> 'dead-zone', 'my.act_v2' ->
 * 'my-act-v2').
 */
export function contributionName(name: string): string {
  const bare = name.replace(/^@[^/]+\//, '');
  const stem = bare.startsWith(PREFIX) && bare.length > PREFIX.length ? bare.slice(PREFIX.length) : bare;
  return stem.split(/[-._~]+/).filter(Boolean).join('-');
}

/** A contribution name as a camelCase identifier ('dead-zone' -> 'deadZone'); 'plugin' is put in front of a leading digit. */
export function identifierOf(contribution: string): string {
  const camel = contribution.split('-').map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[0-9]/.test(camel) ? `plugin${camel[0]!.toUpperCase()}${camel.slice(1)}` : camel;
}

/** A function name for the plugin factory: the contribution's identifier, or `<identifier>Plugin` where that is a reserved or taken word. */
export function factoryName(identifier: string): string {
  return TAKEN.has(identifier) ? `${identifier}Plugin` : identifier;
}

/** PascalCase of a camelCase name ('deadZone' -> 'DeadZone'). */
export function pascalCase(camel: string): string {
  return camel[0]!.toUpperCase() + camel.slice(1);
}

function suggestion(name: string): string {
  const cleaned = name.toLowerCase().replace(/^@[^/]*\/?/, '').replace(/[^a-z0-9._~-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '');
  return cleaned.startsWith(PREFIX) ? cleaned.slice(PREFIX.length) || 'example' : cleaned || 'example';
}
