/** Where the CLI writes; tests pass a recorder instead of the process streams. */
export interface Io {
  /** A line of normal output. */
  out(line: string): void;
  /** A line of diagnostics (errors, warnings). */
  err(line: string): void;
}

/** The process's stdout/stderr. */
export const processIo: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};
