import type { TrainerRecord } from '@flatsparse/core';
import { formatTable } from './table.js';

/** One row of a results table: an arm (a run) and its last train and held-out records. */
export interface ArmResult {
  readonly arm: string;
  readonly train?: TrainerRecord;
  readonly heldOut?: TrainerRecord;
}

const COLUMNS: readonly [string, (r: ArmResult) => number | undefined][] = [
  ['train loss', (r) => r.train?.loss],
  ['held-out loss', (r) => r.heldOut?.loss],
  ['held-out acc', (r) => r.heldOut?.accuracy],
  ['train act. sparsity', (r) => r.train?.figures['activation-sparsity.value']?.mean],
  ['infer. act. sparsity', (r) => r.heldOut?.figures['activation-sparsity.value']?.mean],
  ['train deriv. sparsity', (r) => r.train?.figures['derivative-sparsity.value']?.mean],
  ['infer. deriv. sparsity', (r) => r.heldOut?.figures['derivative-sparsity.value']?.mean],
  ['dead neurons', (r) => r.heldOut?.figures['dead-neurons.value']?.mean],
  ['AS_K', (r) => r.train?.figures['augmented-flatness.asK']?.mean],
  ['c0', (r) => r.train?.figures['augmented-flatness.c0']?.mean],
];

/** Formats arms as a table of loss, accuracy and sparsities; columns nobody measured are left out. */
export function resultsTable(arms: readonly ArmResult[]): string {
  const used = COLUMNS.filter(([, pick]) => arms.some((a) => pick(a) !== undefined));
  const rows = arms.map((a) => [a.arm, ...used.map(([name, pick]) => format(name, pick(a)))]);
  return formatTable(['arm', ...used.map(([name]) => name)], rows);
}

function format(column: string, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (column.includes('acc') || column.includes('sparsity') || column.includes('dead')) return `${(v * 100).toFixed(1)}%`;
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
}
