// Helpers for tests only (not part of the built package): real MySQL and Redis per test file.
export * from './test-context.js';
export * from './fixtures.js';
export * from './polling.js';
export * from './store-audit.js';
export * from './faults/index.js';
export * from './spans.js';
export * from './sse-client.js';
