#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `pnpm build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('flatsparse: the CLI is not built yet. Run `pnpm build` at the repository root (or install a published @flatsparse/cli).');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
