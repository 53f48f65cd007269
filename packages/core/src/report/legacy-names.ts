import type { FlatnessRecord } from '../flatness/estimator-runner.js';
import type { RunRecord } from './run-record.js';

/**
 * The names the built-in plugins' contributions had before plugin API 0.7 (camelCase, unlike the
 * plugins), and the one name each goes by since: the plugin's own. Run directories written by
 * flatsparse 0.2 (figures `activationSparsity.value`, loss terms `zerothBias`, estimates
 * `hessianTrace`, configs naming `activation: jSquaredReLU`) are read under the new names, so old and
 * new runs compare, resume and report alike. Since 0.7 no contribution name can have an upper-case
 * letter, so nothing written since is ever renamed.
 */
export const LEGACY_NAMES: ReadonlyMap<string, string> = new Map([
  ['squaredRelu', 'squared-relu'],
  ['shiftedRelu', 'shifted-relu'],
  ['sShapedSquaredRelu', 's-shaped-squared-relu'],
  ['jSquaredReLU', 'j-squared-relu'],
  ['activationSparsity', 'activation-sparsity'],
  ['derivativeSparsity', 'derivative-sparsity'],
  ['deadNeurons', 'dead-neurons'],
  ['topkSparsity', 'topk-sparsity'],
  ['augmentedFlatness', 'augmented-flatness'],
  ['layerNormScale', 'layer-norm-scale'],
  ['activeSlope', 'active-slope'],
  ['activationRatio', 'activation-ratio'],
  ['zerothBias', 'zeroth-bias'],
  ['l1Activation', 'l1-activation'],
  ['restrictedLayerNorm', 'restricted-layer-norm'],
  ['hessianTrace', 'hessian-trace'],
  ['hessianEigenvalues', 'hessian-eigenvalues'],
  ['hessianSpectrum', 'hessian-spectrum'],
  ['worstCaseSharpness', 'worst-case-sharpness'],
  ['averageSharpness', 'average-sharpness'],
]);

/** A contribution name under its current name ('jSquaredReLU' -> 'j-squared-relu'); any other name unchanged. */
export function upgradeName(name: string): string {
  return LEGACY_NAMES.get(name) ?? name;
}

/** A figure key `${contribution}.${figure}` with its prefix upgraded ('activationSparsity.value' -> 'activation-sparsity.value'). */
export function upgradeFigureKey(key: string): string {
  const dot = key.indexOf('.');
  const prefix = dot < 0 ? key : key.slice(0, dot);
  const renamed = LEGACY_NAMES.get(prefix);
  return renamed === undefined ? key : renamed + key.slice(prefix.length);
}

function renameKeys<V>(values: Readonly<Record<string, V>>, rename: (key: string) => string): Record<string, V> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [rename(k), v]));
}

/**
 * A record of metrics.jsonl (or of result.json) with its figure and loss-term names upgraded; a record
 * written since plugin API 0.7 comes back as it is (the same object).
 */
export function upgradeRecord<R extends RunRecord>(record: R): R {
  const figures = Object.keys(record.figures ?? {});
  const terms = Object.keys(record.lossTerms ?? {});
  if (!figures.some((k) => upgradeFigureKey(k) !== k) && !terms.some((k) => upgradeName(k) !== k)) return record;
  return { ...record, figures: renameKeys(record.figures, upgradeFigureKey), ...(record.lossTerms ? { lossTerms: renameKeys(record.lossTerms, upgradeName) } : {}) };
}

/** An estimate of flatness.jsonl with its estimator name upgraded ('hessianTrace' -> 'hessian-trace'). */
export function upgradeFlatnessRecord(record: FlatnessRecord): FlatnessRecord {
  const estimator = upgradeName(record.estimator);
  return estimator === record.estimator ? record : { ...record, estimator };
}
