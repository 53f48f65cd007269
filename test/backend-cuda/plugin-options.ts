/** Options for the built-ins that need them in the plugin suite (the ones a config would give). */
export const PLUGIN_OPTIONS: Readonly<Record<string, unknown>> = {
  'l1-activation': { weight: 1e-3 },
  'shifted-relu': { sx: 1.6, sy: -1.6 },
  's-shaped-squared-relu': { sx: -1.6, sy: 1.6 },
};
