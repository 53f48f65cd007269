// The API reports of @flatsparse/plugin-api and @flatsparse/core (see test/api-surface.test.ts): the generator (TypeScript compiler API),
// its Markdown form, and the rules that compare two reports and check the version bump. One file past 400
// lines on purpose: the rules read the text the generator writes, so the two change together.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const PACKAGES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages');

/** A package whose API is recorded: each has its own report and its own version constant. */
export interface ApiPackage {
  /** The npm name, for example '@flatsparse/plugin-api'. */
  readonly name: string;
  /** Its folder. */
  readonly dir: string;
  /** The exported constant of its main entry that holds the API version, for example 'PLUGIN_API_VERSION'. */
  readonly versionName: string;
  /** Where that constant is defined, relative to the repository root. */
  readonly versionFile: string;
  /** The recorded report: the one file a reviewer reads for API changes. */
  readonly reportFile: string;
}

function apiPackage(folder: string, versionName: string, versionFile: string): ApiPackage {
  const dir = join(PACKAGES_DIR, folder);
  return { name: `@flatsparse/${folder}`, dir, versionName, versionFile: `packages/${folder}/${versionFile}`, reportFile: join(dir, 'api-report.md') };
}

/** The plugin API (the contract plugins and backends depend on) and the engine, each with its own version. */
export const API_PACKAGES = {
  pluginApi: apiPackage('plugin-api', 'PLUGIN_API_VERSION', 'src/version.ts'),
  core: apiPackage('core', 'CORE_API_VERSION', 'src/version.ts'),
} as const;

/** The folder of @flatsparse/core. */
export const CORE_DIR = API_PACKAGES.core.dir;

/** Where the recorded API report of @flatsparse/core lives. */
export const REPORT_FILE = API_PACKAGES.core.reportFile;

/** One export of one entry point, with its normalised declaration. */
export interface ApiEntry {
  /** The import specifier of the entry point, for example '@flatsparse/core/testing'. */
  readonly entry: string;
  /** The exported name. */
  readonly name: string;
  /** What it is: 'class', 'interface', 'type', 'function', 'const', 'let', 'enum', or several joined by ' + '. */
  readonly kind: string;
  /** Its declaration(s) as a .d.ts would show them: no bodies, initialisers, comments or private members, inferred types written out. */
  readonly declaration: string;
}

/** The public API of a package at one API version. */
export interface ApiReport {
  /** The package's npm name. */
  readonly packageName: string;
  /** The name of its version constant (CORE_API_VERSION, PLUGIN_API_VERSION). */
  readonly versionName: string;
  /** The value of that constant. */
  readonly version: string;
  /** Every export of every entry point, sorted by entry point then name. */
  readonly entries: readonly ApiEntry[];
}

/** What changed between two reports. */
export interface ApiDiff {
  /** Exports only in the newer report. */
  readonly added: readonly ApiEntry[];
  /** Exports only in the older report. */
  readonly removed: readonly ApiEntry[];
  /** Exports in both whose kind or declaration differs. */
  readonly changed: readonly { readonly before: ApiEntry; readonly after: ApiEntry }[];
}

/** How a diff affects users: 'additive' means existing code keeps compiling. */
export type ApiChangeKind = 'none' | 'additive' | 'breaking';

/** A semver bump level. */
export type BumpLevel = 'patch' | 'minor' | 'major';

/** The outcome of comparing the current API with the recorded one. */
export type ApiVerdict =
  | { readonly status: 'unchanged' }
  | { readonly status: 'record'; readonly message: string }
  | { readonly status: 'error'; readonly message: string };

/** The pseudo entry point of the types the API names without exporting them (listed last). */
export const NOT_EXPORTED = 'named by the API, not exported';

const NODE_FLAGS = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.MultilineObjectLiterals;
const KEPT_MODIFIERS = new Set([
  ts.SyntaxKind.AbstractKeyword,
  ts.SyntaxKind.AccessorKeyword,
  ts.SyntaxKind.ConstKeyword,
  ts.SyntaxKind.ProtectedKeyword,
  ts.SyntaxKind.PublicKeyword,
  ts.SyntaxKind.ReadonlyKeyword,
  ts.SyntaxKind.StaticKeyword,
]);

/** The entry points of a package: the `@flatsparse/source` file of each subpath in its package.json `exports`. */
function entryPoints(packageDir: string): { name: string; file: string }[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name: string; exports: Record<string, Record<string, string>> };
  return Object.entries(pkg.exports).map(([subpath, conditions]) => {
    const file = conditions['@flatsparse/source'];
    if (file === undefined) throw new Error(`${pkg.name} exports '${subpath}' without a '@flatsparse/source' condition`);
    return { name: pkg.name + subpath.slice(1), file: join(packageDir, file) };
  });
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false);
}

/** Prints declarations the way a .d.ts shows them, with types the checker infers written out and paths made portable. */
class DeclarationPrinter {
  private readonly printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly packageDir: string,
  ) {}

  /**
   * The kind and text of one declaration, and the symbols of the types and values its text names; undefined
   * for a declaration a .d.ts leaves out (an overload's implementation).
   */
  print(symbol: ts.Symbol, decl: ts.Declaration): { kind: string; text: string; names: ts.Symbol[] } | undefined {
    const node = this.declarationNode(symbol, decl);
    if (node === undefined) return undefined;
    const text = this.portable(this.printer.printNode(ts.EmitHint.Unspecified, node.node, decl.getSourceFile()));
    const names: ts.Symbol[] = [];
    const visit = (n: ts.Node): void => {
      const name = ts.isTypeReferenceNode(n)
        ? n.typeName
        : ts.isExpressionWithTypeArguments(n)
          ? n.expression
          : ts.isTypeQueryNode(n)
            ? n.exprName
            : ts.isImportTypeNode(n)
              ? n.qualifier
              : undefined;
      const named = name && this.symbolOf(name);
      if (named) names.push(named);
      ts.forEachChild(n, visit);
    };
    visit(node.node);
    return { kind: node.kind, text, names };
  }

  /** Whether a symbol is a declaration of this package (not of a dependency, not a type parameter or member) that the report can print. */
  declaredHere(symbol: ts.Symbol): boolean {
    const printable = ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum | ts.SymbolFlags.Function | ts.SymbolFlags.Variable;
    const file = symbol.declarations?.[0]?.getSourceFile().fileName;
    return (symbol.flags & printable) !== 0 && file !== undefined && !file.includes('/node_modules/') && !relative(this.packageDir, file).startsWith('..');
  }

  /** The package-relative file of a symbol's first declaration. */
  fileOf(symbol: ts.Symbol): string {
    const decl = symbol.declarations?.[0];
    return decl ? this.portablePath(decl.getSourceFile().fileName) : '?';
  }

  private symbolOf(name: ts.EntityName | ts.Expression): ts.Symbol | undefined {
    const id = ts.isQualifiedName(name) ? name.right : ts.isPropertyAccessExpression(name) ? name.name : name;
    // A type the checker wrote out carries its symbol on its name; a name from the source is resolved.
    const symbol = (id as { symbol?: ts.Symbol }).symbol ?? (id.pos >= 0 ? this.checker.getSymbolAtLocation(id) : undefined);
    return symbol && symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
  }

  private declarationNode(symbol: ts.Symbol, d: ts.Declaration): { kind: string; node: ts.Node } | undefined {
    const f = ts.factory;
    if (ts.isInterfaceDeclaration(d)) return { kind: 'interface', node: f.updateInterfaceDeclaration(d, this.modifiers(d), d.name, d.typeParameters, d.heritageClauses, d.members) };
    if (ts.isTypeAliasDeclaration(d)) return { kind: 'type', node: f.updateTypeAliasDeclaration(d, this.modifiers(d), d.name, d.typeParameters, d.type) };
    if (ts.isEnumDeclaration(d)) return { kind: 'enum', node: f.updateEnumDeclaration(d, this.modifiers(d), d.name, d.members) };
    if (ts.isClassDeclaration(d)) {
      const members = d.members.flatMap((m) => this.classMember(m) ?? []);
      return { kind: 'class', node: f.createClassDeclaration(this.modifiers(d), d.name, d.typeParameters, d.heritageClauses, members) };
    }
    if (ts.isFunctionDeclaration(d)) {
      if (this.isOverloadImplementation(d)) return undefined;
      return { kind: 'function', node: f.createFunctionDeclaration(this.modifiers(d), undefined, d.name, d.typeParameters, this.parameters(d), this.returnType(d), undefined) };
    }
    if (ts.isVariableDeclaration(d) || ts.isBindingElement(d)) {
      let list: ts.Node = d;
      while (!ts.isVariableDeclarationList(list)) list = list.parent;
      const flags = list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let);
      const kind = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
      // The version has its own line in the report; its literal type would make every bump look like a changed declaration.
      const type =
        /^[A-Z_]+_API_VERSION$/.test(symbol.name)
          ? f.createKeywordTypeNode(ts.SyntaxKind.StringKeyword)
          : (ts.isVariableDeclaration(d) ? d.type : undefined) ?? this.typeNode(this.checker.getTypeOfSymbolAtLocation(symbol, d), d);
      const declaration = f.createVariableDeclaration(symbol.name, undefined, type, undefined);
      return { kind, node: f.createVariableStatement(undefined, f.createVariableDeclarationList([declaration], flags)) };
    }
    const where = this.portablePath(d.getSourceFile().fileName);
    throw new Error(`the API report cannot describe '${symbol.name}' (a ${ts.SyntaxKind[d.kind]} in ${where}): teach test/support/api-surface.ts this kind of declaration`);
  }

  private classMember(m: ts.ClassElement): ts.ClassElement | undefined {
    const f = ts.factory;
    const isPrivate = hasModifier(m, ts.SyntaxKind.PrivateKeyword) || (m.name !== undefined && ts.isPrivateIdentifier(m.name));
    if (ts.isConstructorDeclaration(m)) {
      if (this.isOverloadImplementation(m)) return undefined;
      if (isPrivate) return f.createConstructorDeclaration([f.createModifier(ts.SyntaxKind.PrivateKeyword)], [], undefined);
      return f.createConstructorDeclaration(this.modifiers(m), this.parameters(m), undefined);
    }
    if (isPrivate) return undefined;
    if (ts.isPropertyDeclaration(m)) return f.createPropertyDeclaration(this.modifiers(m), m.name, m.questionToken, m.type ?? this.typeNode(this.checker.getTypeAtLocation(m), m), undefined);
    if (ts.isMethodDeclaration(m)) {
      if (this.isOverloadImplementation(m)) return undefined;
      return f.createMethodDeclaration(this.modifiers(m), undefined, m.name, m.questionToken, m.typeParameters, this.parameters(m), this.returnType(m), undefined);
    }
    if (ts.isGetAccessorDeclaration(m)) return f.createGetAccessorDeclaration(this.modifiers(m), m.name, [], this.returnType(m), undefined);
    if (ts.isSetAccessorDeclaration(m)) return f.createSetAccessorDeclaration(this.modifiers(m), m.name, this.parameters(m), undefined);
    if (ts.isIndexSignatureDeclaration(m)) return m;
    return undefined; // static blocks and stray semicolons are not API
  }

  /** A body that has bodiless overload signatures beside it is not part of the API (as in a .d.ts). */
  private isOverloadImplementation(d: ts.FunctionLikeDeclaration): boolean {
    if (d.body === undefined) return false;
    const siblings: readonly ts.Node[] = ts.isConstructorDeclaration(d) ? d.parent.members : ((d.name && this.checker.getSymbolAtLocation(d.name)?.declarations) ?? []);
    return siblings.filter((x) => x.kind === d.kind).length > 1;
  }

  private modifiers(node: ts.Node): ts.Modifier[] | undefined {
    const kept = ts.canHaveModifiers(node) ? ts.getModifiers(node)?.filter((m) => KEPT_MODIFIERS.has(m.kind)) : undefined;
    return kept?.length ? kept : undefined;
  }

  private parameters(d: ts.SignatureDeclaration): ts.ParameterDeclaration[] {
    return d.parameters.map((p) => {
      const modifiers = hasModifier(p, ts.SyntaxKind.PrivateKeyword) ? undefined : this.modifiers(p);
      const optional = p.questionToken ?? (p.initializer ? ts.factory.createToken(ts.SyntaxKind.QuestionToken) : undefined);
      const type = p.type ?? this.typeNode(this.checker.getTypeAtLocation(p), p);
      return ts.factory.createParameterDeclaration(modifiers, p.dotDotDotToken, withoutDefaults(p.name), optional, type, undefined);
    });
  }

  private returnType(d: ts.SignatureDeclaration): ts.TypeNode {
    if (d.type) return d.type;
    const signature = this.checker.getSignatureFromDeclaration(d);
    if (signature === undefined) throw new Error(`no signature for ${d.getText()}`);
    return this.typeNode(this.checker.getReturnTypeOfSignature(signature), d);
  }

  private typeNode(type: ts.Type, at: ts.Node): ts.TypeNode {
    const node = this.checker.typeToTypeNode(type, at, NODE_FLAGS);
    if (node === undefined) throw new Error(`cannot write out the type of ${at.getText()}`);
    return node;
  }

  /** Rewrites the absolute paths the checker puts in `import("...")` types: package-relative, or from the package name in node_modules. */
  private portable(text: string): string {
    return text.replace(/import\("([^"]+)"\)/g, (_, specifier: string) => `import("${isAbsolute(specifier) ? this.portablePath(specifier) : specifier}")`);
  }

  private portablePath(path: string): string {
    const inModules = path.lastIndexOf('/node_modules/');
    if (inModules >= 0) return path.slice(inModules + '/node_modules/'.length);
    // Another workspace package, resolved to its sources: named by its package name.
    const workspace = relative(PACKAGES_DIR, path);
    if (!workspace.startsWith('..') && !isAbsolute(workspace) && !path.startsWith(this.packageDir + sep)) return `@flatsparse/${workspace.split(sep).join('/')}`;
    const local = relative(this.packageDir, path);
    if (local.startsWith('..') || isAbsolute(local)) throw new Error(`the API of ${this.packageDir} names a file outside it: ${path}`);
    return local.split(sep).join('/');
  }
}

/** A binding pattern without its default values (as a .d.ts writes a destructured parameter). */
function withoutDefaults(name: ts.BindingName): ts.BindingName {
  if (ts.isIdentifier(name)) return name;
  const f = ts.factory;
  const elements = name.elements.map((e) => (ts.isBindingElement(e) ? f.updateBindingElement(e, e.dotDotDotToken, e.propertyName, withoutDefaults(e.name), undefined) : e));
  return ts.isObjectBindingPattern(name) ? f.updateObjectBindingPattern(name, elements as ts.BindingElement[]) : f.updateArrayBindingPattern(name, elements);
}

/**
 * The API report of a package (by default @flatsparse/core): every export of every entry point in its
 * package.json `exports`, from one ts.Program built with the package's tsconfig options. Deterministic:
 * sorted, and no absolute path survives (the generator throws rather than record one).
 */
export function generateApiReport(pkg: ApiPackage = API_PACKAGES.core): ApiReport {
  const packageDir = pkg.dir;
  const configFile = join(packageDir, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configFile, { noEmit: true }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(`${configFile}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    },
  });
  if (config === undefined) throw new Error(`cannot read ${configFile}`);
  const entries = entryPoints(packageDir);
  const program = ts.createProgram({ rootNames: entries.map((e) => e.file), options: config.options });
  const checker = program.getTypeChecker();
  const printer = new DeclarationPrinter(checker, packageDir);
  const exports = entries.flatMap((entry) => {
    const source = program.getSourceFile(entry.file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${entry.file} is not a module`);
    return checker.getExportsOfModule(moduleSymbol).map((exported) => ({
      entry: entry.name,
      name: exported.name,
      symbol: exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported,
    }));
  });
  const exported = new Set(exports.map((e) => e.symbol));
  const internal = new Set<ts.Symbol>();
  const describe = (symbol: ts.Symbol): Pick<ApiEntry, 'kind' | 'declaration'> => {
    const printed = (symbol.declarations ?? []).flatMap((d) => printer.print(symbol, d) ?? []);
    for (const named of printed.flatMap((p) => p.names)) if (!exported.has(named) && printer.declaredHere(named)) internal.add(named);
    printed.sort((a, b) => compare(a.kind, b.kind)); // stable: overloads keep their order, which matters
    return { kind: [...new Set(printed.map((p) => p.kind))].join(' + '), declaration: printed.map((p) => p.text).join('\n') };
  };
  const out: ApiEntry[] = exports.map((e) => ({ entry: e.entry, name: e.name, ...describe(e.symbol) }));
  // Types the API names without exporting them: a change to them changes the API too. The loop also
  // visits the symbols that describe() adds while it runs, so types named by these types are included.
  const described = new Map<ts.Symbol, Pick<ApiEntry, 'kind' | 'declaration'>>();
  for (const symbol of internal) described.set(symbol, describe(symbol));
  const clashes = new Set([...internal].map((s) => s.name).filter((name, i, all) => all.indexOf(name) !== i));
  for (const [symbol, d] of described) {
    out.push({ entry: NOT_EXPORTED, name: clashes.has(symbol.name) ? `${symbol.name} (${printer.fileOf(symbol)})` : symbol.name, ...d });
  }
  const version = exports.find((e) => e.name === pkg.versionName && e.entry === entries[0]?.name);
  const type = version && checker.getTypeOfSymbol(version.symbol);
  if (type === undefined || !type.isStringLiteral()) throw new Error(`${packageDir} exports no ${pkg.versionName} string literal from its main entry point`);
  return { packageName: pkg.name, versionName: pkg.versionName, version: type.value, entries: out.sort(compareEntries) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEntries(a: ApiEntry, b: ApiEntry): number {
  return Number(a.entry === NOT_EXPORTED) - Number(b.entry === NOT_EXPORTED) || compare(a.entry, b.entry) || compare(a.name, b.name);
}

function header(report: ApiReport): string[] {
  const folder = report.packageName.replace('@flatsparse/', '');
  return [
    `# API report: ${report.packageName}`,
    '',
    '<!-- Generated by `pnpm api:update` (test/support/api-surface.ts). Do not edit by hand. -->',
    '',
    `Every export of every entry point of \`${report.packageName}\`, with its declaration as a \`.d.ts\` would show it`,
    '(no bodies, comments or private members; inferred types written out). test/api-surface.test.ts fails',
    `when this changes and \`${report.versionName}\` does not; the bump rule is in packages/${folder}/src/version.ts.`,
    'The last section lists the types these declarations name without exporting them: changing one changes',
    'the API too.',
    '',
  ];
}

/** The report as Markdown, one heading and one code block per export. */
export function renderApiReport(report: ApiReport): string {
  const lines = [...header(report), `${report.versionName}: \`${report.version}\``];
  let entry: string | undefined;
  for (const e of report.entries) {
    if (e.entry !== entry) lines.push('', e.entry === NOT_EXPORTED ? `## ${NOT_EXPORTED}` : `## \`${e.entry}\``);
    entry = e.entry;
    lines.push('', `### \`${e.name}\`: ${e.kind}`, '', '```ts', e.declaration, '```');
  }
  return `${lines.join('\n')}\n`;
}

/** Reads back a report written by renderApiReport. Throws, naming the line, on anything else. */
export function parseApiReport(text: string): ApiReport {
  const lines = text.split('\n');
  let version: string | undefined;
  let versionName: string | undefined;
  let entry: string | undefined;
  const entries: ApiEntry[] = [];
  const packageName = /^# API report: (\S+)$/.exec(lines[0] ?? '')?.[1];
  if (packageName === undefined) throw new Error("malformed API report: the first line is not '# API report: <package>'");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const versionLine = /^([A-Z_]+_API_VERSION): `([^`]+)`$/.exec(line);
    if (versionLine !== null) {
      versionName = versionLine[1];
      version = versionLine[2];
      continue;
    }
    const match = /^## `?([^`]+)`?$/.exec(line) ?? /^### `(.+)`: (.+)$/.exec(line);
    if (match === null) continue;
    if (line.startsWith('## ')) entry = match[1];
    else {
      const end = lines.indexOf('```', i + 3);
      if (entry === undefined || lines[i + 1] !== '' || lines[i + 2] !== '```ts' || end < 0) throw new Error(`malformed API report at line ${i + 1}: '${line}'`);
      entries.push({ entry, name: match[1] as string, kind: match[2] as string, declaration: lines.slice(i + 3, end).join('\n') });
      i = end;
    }
  }
  if (version === undefined || versionName === undefined) throw new Error("malformed API report: no 'XXX_API_VERSION: `x.y.z`' line");
  return { packageName, versionName, version, entries };
}

/** The exports added, removed and changed (kind or declaration) from `before` to `after`. */
export function diffApiReports(before: ApiReport, after: ApiReport): ApiDiff {
  const key = (e: ApiEntry) => `${e.entry}\n${e.name}`;
  const old = new Map(before.entries.map((e) => [key(e), e]));
  const now = new Map(after.entries.map((e) => [key(e), e]));
  const changed = after.entries.flatMap((e) => {
    const b = old.get(key(e));
    return b !== undefined && (b.kind !== e.kind || b.declaration !== e.declaration) ? [{ before: b, after: e }] : [];
  });
  return { added: after.entries.filter((e) => !old.has(key(e))), removed: before.entries.filter((e) => !now.has(key(e))), changed };
}

/** The first line of an optional member (`name?: T`, `readonly name?: T`, `name?(...): T`), at any depth. */
const OPTIONAL_MEMBER = /^\s*(?:readonly\s+)?(?:[A-Za-z_$][\w$]*|"[^"]*"|'[^']*')\?(?::|\(|<)/;
/** The first line of a member of a class itself (not of a type inside it), neither abstract nor a constructor. */
const CLASS_MEMBER = /^ {4}(?!(?:public |protected |private )?constructor\(|.*\babstract )\S/;

/**
 * Whether `after` is `before` with only members added that break no caller and no implementer: optional
 * members of an interface or type, or members of a class (which users call, not implement).
 */
function onlyAddsCompatibleMembers(before: ApiEntry, after: ApiEntry): boolean {
  if (before.kind !== after.kind) return false;
  const old = before.declaration.split('\n');
  const now = after.declaration.split('\n');
  let i = 0;
  for (let j = 0; j < now.length; j++) {
    const line = now[j] as string;
    if (i < old.length && line === old[i]) i++;
    else if (OPTIONAL_MEMBER.test(line) || (after.kind === 'class' && CLASS_MEMBER.test(line))) j = memberEnd(now, j);
    else return false;
    if (j < 0) return false;
  }
  return i === old.length;
}

/** The last line of the member that starts at `start`: that line if it ends with ';', else the line back at its indentation that closes it (`};`, `}): T;`); -1 if none does. */
function memberEnd(lines: readonly string[], start: number): number {
  const indent = (line: string) => line.length - line.trimStart().length;
  const first = lines[start] as string;
  if (first.endsWith(';')) return start;
  for (let k = start + 1; k < lines.length; k++) {
    const line = lines[k] as string;
    if (indent(line) <= indent(first)) return indent(line) === indent(first) && /^[}\])]/.test(line.trimStart()) && line.endsWith(';') ? k : -1;
  }
  return -1;
}

/**
 * How a diff affects users. Removing an export or changing a declaration is breaking; adding exports, or
 * only adding compatible members (optional ones to an interface or type, any but abstract ones and
 * constructors to a class), is additive. A type that stops being listed as "not exported" is not a
 * removal (it was exported, or the declaration naming it changed). Conservative: a change that happens
 * to be compatible (a widened parameter type, a new optional parameter) still counts as breaking.
 */
export function classifyApiDiff(diff: ApiDiff): ApiChangeKind {
  if (diff.removed.some((e) => e.entry !== NOT_EXPORTED) || diff.changed.some((c) => !onlyAddsCompatibleMembers(c.before, c.after))) return 'breaking';
  return diff.added.length > 0 || diff.changed.length > 0 || diff.removed.length > 0 ? 'additive' : 'none';
}

/** Lines describing a diff: removed exports, breaking then compatible changes (each with its first differing lines), added exports; at most `limit` of them. */
export function describeApiDiff(diff: ApiDiff, limit = 12): string[] {
  const name = (e: ApiEntry) => (e.entry === NOT_EXPORTED ? `${e.name} (${e.kind}, ${NOT_EXPORTED})` : `${e.entry} ${e.name} (${e.kind})`);
  const changed = (compatible: boolean) =>
    diff.changed
      .filter((c) => onlyAddsCompatibleMembers(c.before, c.after) === compatible)
      .map(({ before, after }) => [
        `${compatible ? 'compatible' : 'breaking'} change: ${name(after)}${before.kind === after.kind ? '' : `, was ${before.kind}`}`,
        ...firstDifference(before.declaration, after.declaration),
      ]);
  const lines = [...diff.removed.map((e) => [`removed: ${name(e)}`]), ...changed(false), ...changed(true), ...diff.added.map((e) => [`added: ${name(e)}`])];
  const shown = lines.slice(0, limit).flat();
  return lines.length > limit ? [...shown, `... and ${lines.length - limit} more`] : shown;
}

/** The first lines where two texts differ (common prefix and suffix trimmed), at most three per side, long lines clipped. */
function firstDifference(before: string, after: string, max = 3): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) endA--, endB--;
  const side = (lines: string[], other: string[], end: number, mark: string) =>
    lines.slice(start, Math.min(end, start + max)).map((line, k) => `    ${mark} ${clip(line.trim(), other[start + k]?.trim() ?? '')}`);
  return [`  at line ${start + 1}:`, ...side(a, b, endA, '-'), ...side(b, a, endB, '+')];
}

/** A long line shown from shortly before where it differs from the other, and cut after 120 characters. */
function clip(line: string, other: string): string {
  let same = 0;
  while (same < line.length && line[same] === other[same]) same++;
  const from = same > 60 ? same - 30 : 0;
  const shown = (from > 0 ? '...' : '') + line.slice(from);
  return shown.length > 120 ? `${shown.slice(0, 117)}...` : shown;
}

function parseVersion(version: string): [number, number, number] {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(version);
  if (m === null) throw new Error(`API version '${version}' is not a plain semver version such as 1.2.3`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The next version at a bump level (lower parts reset to 0). */
export function bumpVersion(version: string, level: BumpLevel): string {
  const [major, minor, patch] = parseVersion(version);
  if (level === 'major') return `${major + 1}.0.0`;
  if (level === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** The smallest bump a change needs from `version`: from 1.0.0 breaking is major and additive minor; while 0.x, breaking is minor and additive patch. */
export function requiredBump(version: string, change: ApiChangeKind): BumpLevel {
  const zero = parseVersion(version)[0] === 0;
  if (change === 'breaking') return zero ? 'minor' : 'major';
  if (change === 'additive') return zero ? 'patch' : 'minor';
  return 'patch';
}

const LEVELS: readonly BumpLevel[] = ['patch', 'minor', 'major'];

/** Why going from `from` to `to` is not allowed for a change of this kind, or undefined when it is. */
export function checkVersionBump(from: string, to: string, change: ApiChangeKind, versionName = 'CORE_API_VERSION'): string | undefined {
  parseVersion(to);
  const level = LEVELS.find((l) => bumpVersion(from, l) === to);
  const required = requiredBump(from, change);
  const went = `${versionName} went from ${from} to ${to}`;
  const next = LEVELS.map((l) => `${bumpVersion(from, l)} (${l})`).join(', ');
  if (level === undefined) return `${went}, which is not a next version: use ${next}; this change needs at least ${bumpVersion(from, required)}.`;
  if (LEVELS.indexOf(level) < LEVELS.indexOf(required)) return `${went} (a ${level} bump), but a ${change} change needs a ${required} bump: use ${bumpVersion(from, required)}.`;
  return undefined;
}

/**
 * Compares the current API with the recorded one: 'unchanged' when both match; 'record' when the
 * version was bumped as the change requires (`pnpm api:update` writes the report); otherwise 'error',
 * with a message saying what changed and how to fix it.
 */
export function judgeApiChange(recorded: ApiReport, current: ApiReport): ApiVerdict {
  const diff = diffApiReports(recorded, current);
  const change = classifyApiDiff(diff);
  const details = describeApiDiff(diff).map((l) => `  ${l}`);
  const folder = current.packageName.replace('@flatsparse/', '');
  const name = current.versionName;
  const fix = `Fix: bump ${name} in packages/${folder}/src/version.ts to ${bumpVersion(recorded.version, requiredBump(recorded.version, change))} (or more: see the rule there) and run 'pnpm api:update'.`;
  if (current.version === recorded.version) {
    if (change === 'none') return { status: 'unchanged' };
    return { status: 'error', message: [`The public API of ${current.packageName} changed (${change}) but ${name} is still ${current.version}:`, ...details, fix].join('\n') };
  }
  const problem = checkVersionBump(recorded.version, current.version, change, name);
  if (problem !== undefined) return { status: 'error', message: [problem, ...(change === 'none' ? [] : ['The change:', ...details]), fix].join('\n') };
  return { status: 'record', message: `${name} is ${current.version} but packages/${folder}/api-report.md records ${recorded.version}: run 'pnpm api:update' to record the API of ${current.version}.` };
}
