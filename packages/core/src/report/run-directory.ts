import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderReport } from './html-report.js';
import { recordsToCsv, type RunRecord } from './run-record.js';

/**
 * The directory of one run: `config.json` (the resolved config), `run.json` (backend and metadata),
 * `metrics.jsonl` and `metrics.csv` (every record), `report.html` (self-contained plots). Every file
 * is rewritten whole and atomically at each flush, so none is ever half-written.
 */
export class RunDirectory {
  private readonly records: RunRecord[] = [];

  constructor(
    readonly path: string,
    private readonly meta: { title: string; facts: Record<string, string | number | boolean>; config?: unknown },
  ) {}

  /** Writes the resolved config and run metadata. */
  async init(): Promise<void> {
    await writeFileAtomic(join(this.path, 'config.json'), `${JSON.stringify(this.meta.config ?? {}, null, 2)}\n`);
    await writeFileAtomic(join(this.path, 'run.json'), `${JSON.stringify({ title: this.meta.title, ...this.meta.facts }, null, 2)}\n`);
  }

  /** Adds a record (written at the next flush). */
  add(record: RunRecord): void {
    this.records.push(record);
  }

  /** Every record so far. */
  all(): readonly RunRecord[] {
    return this.records;
  }

  /** Adds facts shown in the report (for example the final summary). */
  setFact(key: string, value: string | number | boolean): void {
    this.meta.facts[key] = value;
  }

  /** Rewrites metrics.jsonl, metrics.csv and report.html atomically. */
  async flush(): Promise<void> {
    await writeFileAtomic(join(this.path, 'metrics.jsonl'), this.records.map((r) => JSON.stringify(r)).join('\n') + (this.records.length ? '\n' : ''));
    await writeFileAtomic(join(this.path, 'metrics.csv'), recordsToCsv(this.records));
    await writeFileAtomic(join(this.path, 'report.html'), renderReport({ ...this.meta, records: this.records }));
  }
}
