import { factoryName } from '../plugin-name.js';
import { sourceHead, yamlName } from '../package-files.js';
import type { KindTemplate, TemplateContext } from '../types.js';
import { optionsTests, testHead } from './options-tests.js';

const OPTIONS = "{ match: 'mlp' }";

/** Estimator: the loss and the norm of its gradient on the fixed batch, over the selected parameters. */
export const estimatorTemplate: KindTemplate = {
  summary: 'the loss on the fixed batch and the L2 norm of its gradient over the selected parameters (figures `loss`, `gradNorm`, `gradRms`).',
  exampleOptions: OPTIONS,
  // The suite's synthetic parameters are named 'a' and 'b': estimate over all of them.
  conformanceOptions: '{}',
  source: (ctx: TemplateContext) => `${sourceHead(ctx, {
    apiImports: 'type FlatnessEstimate, type FlatnessEstimator, type FlatnessInput',
    optionsDoc:
      'Options of the estimator.\n- `match` (regular expression, optional): only parameters whose name it matches (for example\n  \'mlp\' for the MLP weights); default every trainable parameter the input selects.',
    schema: "z.strictObject({ match: z.string().refine(isRegExp, 'must be a valid regular expression').optional() })",
  })}
function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * The flatness estimator '${ctx.contribution}': the loss L on the fixed batch and the L2 norm of its
 * gradient over the selected parameters (trainable, passing \`input.filter\` and \`match\`), with
 * \`gradRms\` = gradNorm / sqrt(number of entries). One forward and one backward pass; deterministic.
 * Every parameter is left exactly as it was, and every tensor it makes is disposed.
 */
export function ${ctx.identifier}Estimator(options?: unknown): FlatnessEstimator {
  const { match } = parsedOptions(options);
  const pattern = match === undefined ? undefined : new RegExp(match);
  return Object.freeze({
    name: '${ctx.contribution}',
    async estimate(input: FlatnessInput): Promise<FlatnessEstimate> {
      const started = performance.now();
      const selected = [...input.params].filter(([name, v]) => v.trainable && (input.filter?.(name) ?? true) && (pattern?.test(name) ?? true));
      if (selected.length === 0) throw new Error(\`no trainable parameter matches \${match === undefined ? 'the filter' : \`'\${match}'\`}.\`);
      const { value, grads } = tf.variableGrads(input.loss, selected.map(([, v]) => v));
      const sumOfSquares = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      try {
        const [loss, squares] = await Promise.all([value.data(), sumOfSquares.data()]);
        const gradNorm = Math.sqrt(squares[0]!);
        const entries = selected.reduce((n, [, v]) => n + v.size, 0);
        return {
          figures: { loss: loss[0]!, gradNorm, gradRms: gradNorm / Math.sqrt(entries) },
          cost: { forwardPasses: 1, backwardPasses: 1, wallMs: performance.now() - started },
        };
      } finally {
        tf.dispose([value, sumOfSquares, ...Object.values(grads)]);
      }
    },
  });
}

/**
 * The plugin factory (default export): what a pipeline calls with the config's \`options\`. The plugin
 * contributes the flatness estimator '${ctx.contribution}'.
 */
export default function ${factoryName(ctx.identifier)}(options?: unknown): Plugin {
  return { name: PLUGIN_NAME, version: PLUGIN_VERSION, apiVersion: API_VERSION, contributes: { estimators: [${ctx.identifier}Estimator(options)] } };
}
`,
  test: (ctx: TemplateContext) => `${testHead({ api: 'countTensors', source: `${ctx.identifier}Estimator` })}
// L(a, b) = 3 sum(a^2) + sum(b^2), so dL/da = 6a and dL/db = 2b: the closed form the figures are checked against.
const A = [0.5, -1, 2];
const B = [1, 0.5, -0.3, 0.8];
const sumSq = (xs: number[], k: number) => xs.reduce((s, x) => s + (k * x) ** 2, 0);

function quadratic() {
  const params = new Map<string, tf.Variable>([
    ['mlp.a', tf.variable(tf.tensor1d(A))],
    ['head.b', tf.variable(tf.tensor2d(B, [2, 2]))],
  ]);
  const loss = () => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.square(params.get('mlp.a')!)), 3), tf.sum(tf.square(params.get('head.b')!))) as tf.Scalar);
  return { params, loss, dispose: () => params.forEach((v) => v.dispose()) };
}

describe('${ctx.contribution} numerics (float32 on wasm against the closed form in float64)', () => {
  it('loss, gradient norm and RMS over every trainable parameter; parameters untouched; cost counted', async () => {
    const q = quadratic();
    try {
      const before = countTensors();
      const estimate = await ${ctx.identifier}Estimator().estimate({ loss: q.loss, params: q.params, seed: 1 });
      expect(countTensors()).toBe(before);
      const norm = Math.sqrt(sumSq(A, 6) + sumSq(B, 2));
      expect(estimate.figures.loss).toBeCloseTo(3 * sumSq(A, 1) + sumSq(B, 1), 4);
      expect(estimate.figures.gradNorm).toBeCloseTo(norm, 4);
      expect(estimate.figures.gradRms).toBeCloseTo(norm / Math.sqrt(A.length + B.length), 4);
      expect([estimate.cost.forwardPasses, estimate.cost.backwardPasses]).toEqual([1, 1]);
      expect(await read(tf.clone(q.params.get('mlp.a')!))).toEqual(A.map(Math.fround));
    } finally {
      q.dispose();
    }
  });

  it('match, input.filter and trainable select the parameters', async () => {
    const q = quadratic();
    try {
      const only = async (options: unknown, filter?: (name: string) => boolean) =>
        (await ${ctx.identifier}Estimator(options).estimate({ loss: q.loss, params: q.params, seed: 1, filter })).figures.gradNorm;
      expect(await only({ match: '^mlp\\\\.' })).toBeCloseTo(Math.sqrt(sumSq(A, 6)), 4);
      expect(await only({}, (name) => name.startsWith('head.'))).toBeCloseTo(Math.sqrt(sumSq(B, 2)), 4);
      q.params.get('head.b')!.trainable = false;
      expect(await only({})).toBeCloseTo(Math.sqrt(sumSq(A, 6)), 4);
      await expect(only({ match: 'nothing' })).rejects.toThrow(/no trainable parameter matches 'nothing'/);
    } finally {
      q.dispose();
    }
  });
});

${optionsTests(ctx, { defaults: '{}', bad: "{ match: '(' }", badOption: 'match' })}`,
  readme: (ctx: TemplateContext) => ({
    rows: [
      ['figures', '`loss`, `gradNorm` (L2 norm of dL/dθ over the selected parameters), `gradRms` (gradNorm / sqrt(entries))'],
      ['cost', '1 forward pass, 1 backward pass; deterministic (no probes)'],
      ['options', "`match` (regular expression over parameter names, optional; for example 'mlp')"],
    ],
    usage: `A flatness estimator gets a loss closure on a fixed batch and the model's named parameters
(\`FlatnessInput\`) and returns figures with their cost. In a pipeline config, list the package under
\`plugins\` and name its estimator under \`estimators\` (with a schedule):

\`\`\`yaml
plugins:
  - { name: ${yamlName(ctx.name)}, options: ${OPTIONS} }
estimators:
  - { name: ${ctx.contribution}, every: 100 }
\`\`\`

or call it from code:

\`\`\`ts
import { ${ctx.identifier}Estimator } from '${ctx.name}';

const estimate = await ${ctx.identifier}Estimator(${OPTIONS}).estimate({ loss, params: model.params, seed: 0 });
console.log(estimate.figures.gradNorm, estimate.cost);
\`\`\``,
    caveats: [
      'At a minimum the gradient norm goes to 0 whatever the curvature: it complements curvature figures (Hessian trace, top eigenvalue), it does not replace them.',
      'Non-trainable parameters are never included, even when `match` or `filter` selects them.',
    ],
  }),
};
