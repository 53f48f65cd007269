import { z } from 'zod';
import { ModelConfigError } from '@flatsparse/plugin-api';
import { explainIssue, keysAt } from '@flatsparse/plugin-api/host';

export const positiveInt = z.number().int().positive();

/**
 * How weight matrices and biases start (embeddings always draw from a normal of std `initStd`):
 * - 'xavier': Xavier/Glorot uniform on every matrix, U(+-sqrt(6 / (fan_in + fan_out))), zero biases
 *   (the authors' MLPs, PyTorch's attention projections); the default, chosen by measurement
 *   (docs/reproduction.md: it trains the small models fastest);
 * - 'pytorch': PyTorch's nn.Linear default, weights and biases U(+-1 / sqrt(fan_in));
 * - 'normal': every matrix from a truncated normal of std `initStd`, zero biases (GPT-2 and BERT; the
 *   scheme of flatsparse 0.2, close to Xavier at ViT-B width but 4x smaller at d 64, n 256).
 */
export const INIT_SCHEMES = ['xavier', 'pytorch', 'normal'] as const;
/** One of INIT_SCHEMES. */
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** Sizes shared by the Transformer models: width d, depth, heads, MLP width n, LayerNorm epsilon, initialisation. */
export const transformerShape = {
  d: positiveInt,
  depth: positiveInt,
  heads: positiveInt,
  mlpWidth: positiveInt,
  init: z.enum(INIT_SCHEMES).default('xavier'),
  initStd: z.number().positive().finite().default(0.02),
};

type Issue = { path: PropertyKey[]; message: string; input?: unknown };
export type Ctx = { addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string; input: unknown }): void };

export function checkHeads(cfg: { d: number; heads: number }, ctx: Ctx): void {
  if (cfg.d % cfg.heads !== 0) ctx.addIssue({ code: 'custom', path: ['heads'], message: `must divide d (${cfg.d})`, input: cfg.heads });
}

/**
 * Validates a model config with its schema (defaults applied), or throws ModelConfigError naming the key
 * with the received value and what is accepted; `type` names the config type that lists every key.
 */
export function parseModelConfig<T>(schema: z.ZodType<T>, value: unknown, kind: string, type: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0] as Issue & { keys?: string[] };
  const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
  const key = issue.keys?.[0] ?? path;
  if (issue.keys) {
    const known = keysAt(schema, issue.path, value);
    throw new ModelConfigError(`${kind} config key '${key}': unknown key.`, {
      received: issue.keys,
      expected: `one of ${known.map((k) => `'${k}'`).join(', ')}`,
      fix: `remove '${key}' (the ${type} type lists every key).`,
    });
  }
  // zod's own messages ("Invalid input", "Invalid option") name neither the accepted forms nor the names.
  const explained = explainIssue(schema, result.error.issues[0]!, issue.input, value);
  throw new ModelConfigError(`${kind} config key '${key || '(root)'}': ${explained.message}.`, {
    received: issue.input,
    ...(explained.expected === undefined ? {} : { expected: explained.expected }),
    fix: explained.hint ?? `set '${key}' to a valid value (the ${type} type lists every key and its default).`,
  });
}
