/** Per-parameter options of a group of parameters chosen by name. */
export interface ParamGroup {
  /** Which parameters: a pattern tested against the name, or an exact list of names. */
  readonly match: RegExp | readonly string[];
  /** Multiplies the learning rate of these parameters (default 1). */
  readonly lrMultiplier?: number;
  /** Decoupled weight decay of these parameters (default: the optimiser's rule). */
  readonly weightDecay?: number;
}

/** The options that apply to one parameter. */
export interface ResolvedGroup {
  readonly lrMultiplier: number;
  readonly weightDecay: number;
}

/**
 * Names that get no weight decay by default: biases, LayerNorm parameters ('ln', 'norm') and
 * embeddings ('embed', 'pos', 'cls'), matched on dotted name segments or as substrings ('bias', 'norm').
 */
export const DEFAULT_NO_DECAY = /bias|norm|(^|[._/])(ln|embed|embedding|embeddings|pos|position|positions|cls)[0-9]*([._/]|$)/i;

/**
 * Which parameters the base weight decay applies to when no group names them: 'default' exempts every
 * parameter of rank <= 1 (biases, LayerNorm scales and shifts) and the names `noDecay` matches
 * (embeddings, biases); 'all' decays every parameter, as the authors' ViT runs do (weight decay 0.3 on
 * LayerNorm scales, biases, embeddings and zeroth biases alike).
 */
export type DecayRule = 'default' | 'all';

/**
 * The options of a parameter: the first group whose `match` accepts the name wins; without one, the
 * base weight decay applies, except (with decay 'default') to parameters of rank <= 1 and names that
 * match `noDecay`.
 */
export function resolveGroup(
  name: string,
  shape: readonly number[],
  groups: readonly ParamGroup[],
  base: { readonly weightDecay: number; readonly noDecay: RegExp | null; readonly decay?: DecayRule },
): ResolvedGroup {
  const exempt = base.decay !== 'all' && (shape.length <= 1 || (base.noDecay !== null && base.noDecay.test(name)));
  const defaultDecay = exempt ? 0 : base.weightDecay;
  const group = groups.find((g) => matches(g.match, name));
  return { lrMultiplier: group?.lrMultiplier ?? 1, weightDecay: group?.weightDecay ?? defaultDecay };
}

/** Whether a group's `match` accepts a parameter name. */
export function matches(match: RegExp | readonly string[], name: string): boolean {
  if (match instanceof RegExp) {
    match.lastIndex = 0;
    return match.test(name);
  }
  return match.includes(name);
}
