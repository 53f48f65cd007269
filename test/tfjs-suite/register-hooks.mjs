// `node --import ./test/tfjs-suite/register-hooks.mjs ...`: installs hooks.mjs before anything loads
// (run.mjs starts itself this way when it was started without them).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
globalThis[Symbol.for('flatsparse.tfjsSuite.hooks')] = true;
