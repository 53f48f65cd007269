/** What a scaffolded plugin contributes. */
export type PluginKind = 'activation' | 'metric' | 'estimator' | 'regularizer';

/** Every kind `flatsparse new-plugin --kind` accepts. */
export const PLUGIN_KINDS: readonly PluginKind[] = ['activation', 'metric', 'estimator', 'regularizer'];

/** Version ranges written into the generated package.json. */
export interface ScaffoldVersions {
  /** Range of plugin API versions the plugin declares (`Plugin.apiVersion`), `^PLUGIN_API_VERSION`. */
  readonly apiRange: string;
  /** Version of the installed @flatsparse/plugin-api package (a peer dependency of the plugin). */
  readonly pluginApi: string;
  /** Version of the installed @flatsparse/core package (a dev dependency: its tests register tfjs's gradients with it). */
  readonly core: string;
  /** Version of the installed @flatsparse/backend-wasm package. */
  readonly backendWasm: string;
  /** Version of the installed @tensorflow/tfjs-core. */
  readonly tfjsCore: string;
  /** Range of zod (the generated options schemas use the zod 4 API). */
  readonly zod: string;
  /** Range of TypeScript the generated tsconfigs are written for. */
  readonly typescript: string;
  /** Range of vitest (the conformance adapters in @flatsparse/plugin-api/testing/vitest target vitest 4). */
  readonly vitest: string;
  /** Range of @types/node (the generated tests read package.json with node:fs). */
  readonly typesNode: string;
}

/** Everything a template needs to know about the package it generates. */
export interface TemplateContext {
  /** npm package name, also the plugin's `name` (for example 'flatsparse-plugin-dead-zone'). */
  readonly name: string;
  /** Name of the contribution in configs and figure names, kebab-case (for example 'dead-zone'). */
  readonly contribution: string;
  /** The same name as a camelCase identifier, for the generated functions and types (for example 'deadZone'). */
  readonly identifier: string;
  /** What the plugin contributes. */
  readonly kind: PluginKind;
  readonly versions: ScaffoldVersions;
}

/** The kind-specific part of a generated package. */
export interface KindTemplate {
  /** One line for package.json and the README (what the example computes). */
  readonly summary: string;
  /** Options a config would pass, as a JS object literal used by tests and examples (for example '{ threshold: 0.5 }'). */
  readonly exampleOptions: string;
  /** Options the conformance test creates the plugin with (default `exampleOptions`). */
  readonly conformanceOptions?: string;
  /** src/index.ts. */
  source(ctx: TemplateContext): string;
  /** test/<kind>.test.ts: options and numerics against a plain-JS float64 reference. */
  test(ctx: TemplateContext): string;
  /** README rows and sections specific to the kind (markdown). */
  readme(ctx: TemplateContext): { readonly rows: readonly (readonly [string, string])[]; readonly usage: string; readonly caveats: readonly string[] };
}
