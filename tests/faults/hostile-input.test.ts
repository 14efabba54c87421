// The larger hostile-input run: the every-route suite of apps/api (public, admin and Bull Board
// routes; paths, query strings, bodies, content types, credentials, Origin and Sec-Fetch-Site,
// repeated and long headers, odd framing over raw HTTP) ten times the CI run's cases, drawn from
// a fresh seed each time, printed in the suite's name. A failure prints fast-check's seed and
// path: `HOSTILE_SEED=<seed> HOSTILE_PATH=<path> npx vitest run --project faults
// tests/faults/hostile-input.test.ts -t '<test>'` replays it, and the same with
// apps/api/src/routes/hostile-routes.test.ts replays it on the quick suite.
import { describeHostileRoutes } from '../../apps/api/src/testing/hostile-route-suite.js';

describeHostileRoutes({ runs: { inject: 8000, raw: 5000 }, freshSeed: true, timeBoundMs: 5000, testTimeoutMs: 600_000 });
