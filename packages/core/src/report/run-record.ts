/** A figure read back from the device: its mean over layers and each layer's value. */
export interface FigureValue {
  readonly mean: number;
  readonly perLayer: readonly number[];
}

/** One logged row of a run: a training step's figures or a held-out evaluation. */
export interface RunRecord {
  /** The optimisation step. */
  readonly step: number;
  /** 'train' (training minibatch, training mode) or 'heldOut' (held-out data, evaluation mode). */
  readonly split: 'train' | 'heldOut';
  /** Mean loss (for train: the data loss without regularizer terms). */
  readonly loss: number;
  /** Accuracy (held-out; per token for sequences). */
  readonly accuracy?: number;
  /** Learning rate at this step (train). */
  readonly lr?: number;
  /** Figures by `${metric}.${figure}`. */
  readonly figures: Readonly<Record<string, FigureValue>>;
  /** Weighted regularizer loss terms by name. */
  readonly lossTerms?: Readonly<Record<string, number>>;
  /** Wall time since the run started, in milliseconds. */
  readonly wallMs?: number;
}

/** Renders records as CSV: one row per record, a column per scalar and per figure mean and layer. */
export function recordsToCsv(records: readonly RunRecord[]): string {
  const figureLayers = new Map<string, number>();
  const terms = new Set<string>();
  for (const r of records) {
    for (const [name, f] of Object.entries(r.figures)) figureLayers.set(name, Math.max(figureLayers.get(name) ?? 0, f.perLayer.length));
    for (const t of Object.keys(r.lossTerms ?? {})) terms.add(t);
  }
  const figureNames = [...figureLayers.keys()].sort();
  const termNames = [...terms].sort();
  const header = ['step', 'split', 'loss', 'accuracy', 'lr', 'wall_ms', ...termNames.map((t) => `loss_term.${t}`)];
  for (const name of figureNames) {
    header.push(`${name}.mean`);
    for (let l = 0; l < figureLayers.get(name)!; l++) header.push(`${name}.layer${l}`);
  }
  const cell = (v: number | undefined) => (v === undefined ? '' : String(v));
  const rows = records.map((r) => {
    const row = [String(r.step), r.split, cell(r.loss), cell(r.accuracy), cell(r.lr), cell(r.wallMs), ...termNames.map((t) => cell(r.lossTerms?.[t]))];
    for (const name of figureNames) {
      const f = r.figures[name];
      row.push(cell(f?.mean));
      for (let l = 0; l < figureLayers.get(name)!; l++) row.push(cell(f?.perLayer[l]));
    }
    return row.join(',');
  });
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
