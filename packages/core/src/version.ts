/**
 * Version of the public plugin/backend API of `@flatsparse/core`.
 * Plugins declare the range they support in `Plugin.apiVersion`; the host checks it with semver before
 * a run starts. Bump the minor version when the public surface grows, the major when it breaks
 * (test/api-surface.test.ts fails when the surface changes and this does not).
 */
export const CORE_API_VERSION = '0.1.0';
