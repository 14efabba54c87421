// The Node.js options the API process is started with, by every path that starts it: the
// launcher (`npm start`), the Dockerfile and docker-compose.yml, and the benchmark (a test
// checks that they agree). They are V8 options Node accepts only on its command line, not from
// the process itself (apps/api/src/heap-tuning.ts sets the ones it can).
//
// --max-semi-space-size=8: the young generation's two halves at 8 MB instead of 16. The API's
// objects live for one request; at ~2,500 pages or ~20,000 /health answers a second the young
// generation fills to its limit either way, and half of it is ~20-40 MB of resident memory
// under load (measured with the /health and deep-page loads of `npm run bench`: highest resident
// ~205-210 MB instead of ~250 MB) for no measurable CPU per request.
export const API_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];
