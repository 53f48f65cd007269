import { ShapeError } from '@flatsparse/plugin-api';

/**
 * A symmetric linear operator on float64 vectors of length `dim`: what the curvature algorithms
 * (Hutchinson, Lanczos, power iteration, SLQ) need. A Hessian-vector product is one; so is a dense
 * matrix (`denseOperator`), which is how the algorithms are tested against exact answers.
 */
export interface LinearOperator {
  /** Length of the vectors the operator acts on. */
  readonly dim: number;
  /** The product of the operator with `v` (a new vector; `v` is left unchanged). */
  apply(v: Float64Array): Promise<Float64Array>;
}

/** A dense symmetric matrix (rows of length n) as a LinearOperator; `applies` counts the products. */
export function denseOperator(rows: readonly Float64Array[]): LinearOperator & { readonly applies: number } {
  const dim = rows.length;
  const bad = rows.findIndex((row) => row.length !== dim);
  if (bad >= 0) throw new ShapeError(`Row ${bad} of the matrix`, [rows[bad]!.length], `${dim} entries (a square matrix)`, 'pass n rows of n entries each.');
  let applies = 0;
  return {
    dim,
    get applies() {
      return applies;
    },
    apply: async (v) => {
      applies++;
      return Float64Array.from(rows, (row) => {
        let s = 0;
        for (let j = 0; j < dim; j++) s += row[j]! * v[j]!;
        return s;
      });
    },
  };
}
