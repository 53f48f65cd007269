import { describeTfjsSuite } from '../tfjs-suite/suite.js';

// tfjs-core's own op and gradient tests, under jasmine as tfjs runs them (test/tfjs-suite/README.md),
// in a child process; software adapters (SwiftShader) allowed. Skipped, with the reason, without one.
describeTfjsSuite('webgpu', 'filter list test/tfjs-suite/filters/webgpu.json');
