// API composition root: config -> runtime -> listen; closes cleanly on SIGINT/SIGTERM.
import './heap-tuning.js';
import Fastify from 'fastify';
import { createLogger, exitOnStartFailure, handleShutdownSignals, loadConfigOrExit, readProcessEnvironment, systemClock } from '@tubefeed/core';
import { createApiRuntime } from './api-runtime.js';
import { guardConnections } from './plugins/connection-guard.js';

const config = loadConfigOrExit(readProcessEnvironment(), 'api');
const log = createLogger(config.log, 'api');
for (const warning of config.warnings) log.warn(warning);
// Signals are handled from the first moment: one that arrives during boot lets it finish (a
// migration is never cut in half) and then shuts down as usual.
const starting = createApiRuntime({ config, log, clock: systemClock });

// METRICS_PORT set: /metrics on a listener of its own (no credentials; bind it privately).
// Its connections use this process's descriptors too: the same timeouts, and a small cap of its
// own (taken from the descriptors the main cap leaves for MySQL, Redis and logs).
const METRICS_MAX_CONNECTIONS = 64;
const metricsServer =
  config.metrics.port === 0
    ? undefined
    : Fastify({
        logger: false,
        http: { headersTimeout: config.http.headersTimeoutMs, requestTimeout: config.http.requestTimeoutMs, connectionsCheckingInterval: 1000 },
        requestTimeout: config.http.requestTimeoutMs,
        keepAliveTimeout: config.http.keepAliveTimeoutMs,
      });
// Fastify binds "localhost" once per address it resolves to, each a server of its own that the
// connection guard would not see: listen on the loopback address instead.
const listenHost = (host: string) => (host.toLowerCase() === 'localhost' ? '127.0.0.1' : host);

const signals = handleShutdownSignals({
  log,
  graceMs: config.shutdownGraceMs,
  name: 'api',
  async stop() {
    const runtime = await starting.catch(() => undefined);
    // Requests in flight finish; new ones on open connections get 503 with Connection: close
    // (Fastify's return503OnClosing). Connections still busy after the grace period are cut.
    if (runtime !== undefined) setTimeout(() => runtime.app.server.closeAllConnections(), config.shutdownGraceMs).unref();
    await metricsServer?.close();
    await runtime?.close();
  },
});

const runtime = await starting.catch((error: unknown) => exitOnStartFailure(log, 'api', error));
metricsServer?.get('/metrics', async (_request, reply) =>
  reply.type(runtime.metrics.registry.contentType).send(await runtime.metrics.registry.metrics()),
);
// At most HTTP_MAX_CONNECTIONS client connections: at the cap, the one idle longest makes room.
const connections = guardConnections(runtime.app.server, {
  maxConnections: config.http.maxConnections,
  log: log.child({ module: 'connection-guard' }),
  onClosed: (reason) => runtime.metrics.connectionClosed(reason),
});
runtime.metrics.countConnections(() => connections.open());
if (metricsServer !== undefined) {
  guardConnections(metricsServer.server, { maxConnections: METRICS_MAX_CONNECTIONS, log: log.child({ module: 'metrics-connection-guard' }) });
}
if (!signals.closing()) {
  // A port taken or an address not on this host: say so in one line, naming the settings (the
  // runtime's connections would otherwise keep the process alive without a listener).
  const cannotListen = (host: string, port: string) => (error: unknown) => exitOnStartFailure(log, 'api', error, `cannot listen on ${host} ${port}`);
  // A deep accept queue (Linux caps it at net.core.somaxconn, 4096 by default): when many
  // connections arrive at once (slow clients re-opening what a timeout closed), a new client
  // waits its turn in it rather than having its SYN dropped and retried a second later.
  await runtime.app
    .listen({ host: listenHost(config.http.host), port: config.http.port, backlog: 4096 })
    .catch(cannotListen(`HOST=${config.http.host}`, `PORT=${config.http.port}`));
  await metricsServer
    ?.listen({ host: listenHost(config.metrics.host), port: config.metrics.port })
    .catch(cannotListen(`METRICS_HOST=${config.metrics.host}`, `METRICS_PORT=${config.metrics.port}`));
}
