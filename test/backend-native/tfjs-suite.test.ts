import { describeTfjsSuite } from '../tfjs-suite/suite.js';

// tfjs-core's own op and gradient tests, under jasmine as tfjs runs them (test/tfjs-suite/README.md),
// in a child process: tfjs's harness resets the engine before and after every suite.
describeTfjsSuite('native', 'filter list test/tfjs-suite/filters/native.json');
