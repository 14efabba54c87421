// Fault tools shared by the fault suites (tests/faults), the core and API tests and the bench:
// child processes with labelled output, free ports, a private redis-server that can be killed
// and restarted, a TCP proxy that cuts, stalls or refuses connections, and one that counts the
// SQL statements passing through it. Built to dist (unlike the rest of testing/) because the
// bench runs from dist.
export * from './processes.js';
export * from './redis-server.js';
export * from './tcp-proxy.js';
export * from './sql-counting-proxy.js';
export * from './redis-probe.js';
