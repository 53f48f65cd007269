import { PluginOrderCycleError } from './errors.js';
import type { Plugin } from './plugin.js';

/**
 * Sorts plugins by their declared `order.before` / `order.after` constraints (a topological sort).
 * Plugins not constrained relative to each other run in name order, so the result never depends on
 * the order in which plugins were listed. Constraints naming absent plugins are ignored.
 * Throws E_PLUGIN_ORDER_CYCLE naming the cycle.
 */
export function sortPlugins<P extends Plugin>(plugins: readonly P[]): P[] {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  const edges = new Map<string, Set<string>>(plugins.map((p) => [p.name, new Set<string>()]));
  for (const p of plugins) {
    for (const later of p.order?.before ?? []) if (byName.has(later) && later !== p.name) edges.get(p.name)!.add(later);
    for (const earlier of p.order?.after ?? []) if (byName.has(earlier) && earlier !== p.name) edges.get(earlier)!.add(p.name);
  }
  const indegree = new Map<string, number>(plugins.map((p) => [p.name, 0]));
  for (const targets of edges.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);

  const ready = plugins.filter((p) => indegree.get(p.name) === 0).map((p) => p.name).sort();
  const out: P[] = [];
  while (ready.length > 0) {
    const name = ready.shift()!;
    out.push(byName.get(name)!);
    for (const t of edges.get(name)!) {
      const left = indegree.get(t)! - 1;
      indegree.set(t, left);
      if (left === 0) {
        ready.push(t);
        ready.sort();
      }
    }
  }
  if (out.length < plugins.length) throw new PluginOrderCycleError(findCycle(edges, new Set(out.map((p) => p.name))));
  return out;
}

function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>, done: ReadonlySet<string>): string[] {
  const state = new Map<string, 'active' | 'finished'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of [...edges.get(node)!].sort()) {
      if (done.has(next)) continue;
      if (state.get(next) === 'active') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'finished');
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if (done.has(node) || state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return [];
}
