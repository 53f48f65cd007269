import { factoryName } from '../plugin-name.js';
import { sourceHead, yamlName } from '../package-files.js';
import type { KindTemplate, TemplateContext } from '../types.js';
import { optionsTests, testHead } from './options-tests.js';

const OPTIONS = '{ tolerance: 0.001 }';

/** Metric: the fraction of activations within `tolerance` of zero, per MLP block. */
export const metricTemplate: KindTemplate = {
  summary: 'the fraction of MLP activations within a tolerance of zero, per layer (figure `value`).',
  exampleOptions: OPTIONS,
  source: (ctx: TemplateContext) => `${sourceHead(ctx, {
    apiImports: 'type MlpCapture, type SparsityMetric',
    optionsDoc: 'Options of the metric.\n- `tolerance` (number >= 0, default 0.001): an activation a counts as near zero when |a| <= tolerance.',
    schema: 'z.strictObject({ tolerance: z.number().nonnegative().default(0.001) })',
  })}
/**
 * The metric '${ctx.contribution}' with one figure, \`value\`: the fraction of the entries of the
 * activation a = sigma(p) of an MLP block with |a| <= tolerance. Unlike activation sparsity it ignores
 * the activation's declared rest region: it measures closeness to zero itself. Computed on the device
 * from the forward pass only; the host calls \`compute\` inside tf.tidy and averages the layers.
 */
export function ${ctx.identifier}Metric(options?: unknown): SparsityMetric {
  const { tolerance } = parsedOptions(options);
  return Object.freeze({
    name: '${ctx.contribution}',
    compute: (capture: MlpCapture) => ({ value: tf.mean(tf.cast(tf.lessEqual(tf.abs(capture.a), tolerance), 'float32')) as tf.Scalar }),
  });
}

/**
 * The plugin factory (default export): what a pipeline calls with the config's \`options\`. The plugin
 * contributes the metric '${ctx.contribution}' (its figure is logged as '${ctx.contribution}.value').
 */
export default function ${factoryName(ctx.identifier)}(options?: unknown): Plugin {
  return { name: PLUGIN_NAME, version: PLUGIN_VERSION, apiVersion: API_VERSION, contributes: { metrics: [${ctx.identifier}Metric(options)] } };
}
`,
  test: (ctx: TemplateContext) => `${testHead({ testing: 'fakeCaptures', source: `${ctx.identifier}Metric` })}
describe('${ctx.contribution} numerics (float32 on wasm against a float64 count)', () => {
  it('value is the fraction of activations with |a| <= tolerance, in every block', async () => {
    const tolerance = 0.05;
    const metric = ${ctx.identifier}Metric({ tolerance });
    const fx = fakeCaptures(); // ReLU blocks: some activations exactly 0, some small, some large
    try {
      for (const capture of fx.captures) {
        const value = await read(tf.tidy(() => metric.compute(capture).value!));
        const a = await capture.a.data();
        const expected = Array.from(a).filter((v) => Math.abs(v) <= tolerance).length / a.length;
        expect(expected).toBeGreaterThan(0);
        expect(expected).toBeLessThan(1);
        expect(Math.abs(value[0]! - expected)).toBeLessThan(1e-6);
      }
    } finally {
      fx.dispose();
    }
  });

  it('counts more entries as the tolerance grows', async () => {
    const fx = fakeCaptures();
    try {
      const at = async (tolerance: number) => (await read(tf.tidy(() => ${ctx.identifier}Metric({ tolerance }).compute(fx.captures[0]!).value!)))[0]!;
      const [small, large] = [await at(0), await at(10)];
      expect(small).toBeLessThan(large);
      expect(large).toBe(1);
    } finally {
      fx.dispose();
    }
  });
});

${optionsTests(ctx, { defaults: OPTIONS, bad: '{ tolerance: -1 }', badOption: 'tolerance' })}`,
  readme: (ctx: TemplateContext) => ({
    rows: [
      ['figures', '`value`: the fraction of activations a with \\|a\\| <= tolerance, per layer and averaged over layers'],
      ['needs gradients', 'no (measured on training batches and on held-out data)'],
      ['options', '`tolerance` (number >= 0, default 0.001)'],
    ],
    usage: `In a pipeline config, list the package under \`plugins\` and name its metric under \`metrics\`:

\`\`\`yaml
plugins:
  - { name: ${yamlName(ctx.name)}, options: ${OPTIONS} }
metrics: [activation-sparsity, derivative-sparsity, ${ctx.contribution}]
\`\`\``,
    caveats: [
      'It ignores the activation\'s rest region: for a shifted activation at rest at sy != 0 it stays near 0; use activation sparsity there.',
      'The figure is computed on the device and read back only at logging steps (never inside a training step).',
    ],
  }),
};
