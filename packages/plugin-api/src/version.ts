/**
 * Version of `@flatsparse/plugin-api`, the contract between flatsparse and its plugins and backends:
 * every export of '.', './host', './testing' and './testing/vitest', types included, as recorded with
 * this version in packages/plugin-api/api-report.md. Plugins declare the range they support in
 * `Plugin.apiVersion`; the host checks it with semver before a run starts. The engine packages
 * (@flatsparse/core and the rest) have their own versions: a change to the trainer, the models or a
 * chart does not move this one.
 *
 * Change the API, then bump this to the next version (patch + 1; minor + 1 and patch 0; or major + 1,
 * minor and patch 0) and run `pnpm api:update`, which checks the bump against the recorded report and
 * rewrites it (test/api-surface.test.ts fails until the report, the API and this version agree):
 * - breaking (an export removed, a declaration changed, a required member added to an interface or
 *   type, an abstract member or constructor to a class): major bump; minor while 0.x.
 * - additive (exports added, optional members added to an interface or type, other members to a
 *   class): minor bump; patch while 0.x.
 * - no change to the API: any next version, or none.
 * While 0.x the minor is the breaking digit, as in semver caret ranges: a plugin declaring `^0.4.0`
 * accepts 0.4.x, which only add to the API, and rejects 0.5.0. Any other change to a declaration counts
 * as breaking, even one that is compatible in fact (a widened parameter): a larger bump is always allowed.
 */
export const PLUGIN_API_VERSION = '0.7.2';
