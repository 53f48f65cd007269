import { readFile } from 'node:fs/promises';
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
  private records: RunRecord[] = [];
  private resumed = false;

  constructor(
    readonly path: string,
    private readonly meta: { title: string; facts: Record<string, string | number | boolean>; config?: unknown },
  ) {}

  /** Writes the resolved config and run metadata. */
  async init(): Promise<void> {
    await writeFileAtomic(join(this.path, 'config.json'), `${JSON.stringify(this.meta.config ?? {}, null, 2)}\n`);
    await writeFileAtomic(join(this.path, 'run.json'), `${JSON.stringify({ title: this.meta.title, ...this.meta.facts }, null, 2)}\n`);
  }

  /**
   * Reads the records an earlier run wrote here, for a resumed run: the first new record then drops
   * every earlier record at or after its step, so the files show one continuous history.
   */
  async loadExisting(): Promise<void> {
    const text = await readFile(join(this.path, 'metrics.jsonl'), 'utf8').catch(() => '');
    this.records = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RunRecord);
    this.resumed = true;
  }

  /** Adds a record (written at the next flush). */
  add(record: RunRecord): void {
    if (this.resumed) {
      this.records = this.records.filter((r) => r.step < record.step);
      this.resumed = false;
    }
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
