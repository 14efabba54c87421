// Hostile input on every route the API registers (public, admin, Bull Board), on the fixed CI
// seed: no 5xx, every error in the JSON error shape, no admin route open without credentials,
// and nothing stored changed except by a valid admin mutation (testing/hostile-route-suite.ts).
// `npm run test:faults` runs the same suite ten times larger on a fresh seed
// (tests/faults/hostile-input.test.ts).
import { describeHostileRoutes } from '../testing/hostile-route-suite.js';

describeHostileRoutes({ runs: { inject: 800, raw: 500 }, freshSeed: false, timeBoundMs: 5000, testTimeoutMs: 90_000 });
