import { describeTfjsSuite } from '../tfjs-suite/suite.js';

// tfjs-core's own op and gradient tests, under jasmine as tfjs runs them (test/tfjs-suite/README.md),
// in a child process per backend. tfjs-backend-cpu first: tfjs's reference passes every spec, which
// shows the harness itself runs them as tfjs does.
describeTfjsSuite('cpu', 'the reference: every spec passes under this harness');
describeTfjsSuite('wasm', 'filter list test/tfjs-suite/filters/wasm.json');
