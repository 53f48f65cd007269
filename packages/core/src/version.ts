/**
 * Version of the public API of `@flatsparse/core`, the engine: every export of '.' and './testing',
 * types included, as recorded with this version in packages/core/api-report.md. Plugins do not declare
 * it: they are written against @flatsparse/plugin-api and declare PLUGIN_API_VERSION's range. This
 * version moves when the engine's own API moves (the models, the trainer, pipelines, reports, I/O),
 * for code that drives the engine, such as the CLI, sweeps and notebooks.
 *
 * Change the API, then bump this to the next version (patch + 1; minor + 1 and patch 0; or major + 1,
 * minor and patch 0) and run `pnpm api:update`, which checks the bump against the recorded report and
 * rewrites it (test/api-surface.test.ts fails until the report, the API and this version agree):
 * - breaking (an export removed, a declaration changed, a required member added to an interface or
 *   type, an abstract member or constructor to a class): major bump; minor while 0.x.
 * - additive (exports added, optional members added to an interface or type, other members to a
 *   class): minor bump; patch while 0.x.
 * - no change to the API: any next version, or none.
 * While 0.x the minor is the breaking digit, as in semver caret ranges: code written against `^0.1.0`
 * accepts 0.1.x, which only add to the API, and rejects 0.2.0. Any other change to a declaration counts
 * as breaking, even one that is compatible in fact (a widened parameter): a larger bump is always allowed.
 */
export const CORE_API_VERSION = '0.7.0';
