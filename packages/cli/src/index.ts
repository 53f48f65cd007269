/** @flatsparse/cli: the `flatsparse` command (also callable from code). */
export { main } from './main.js';
export type { Io } from './io.js';
export { defaultBackends } from './backends.js';
