// buildApp(deps): the whole HTTP surface as a Fastify instance that never listens by itself.
// server.ts listens; tests call `app.inject`.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Queue } from 'bullmq';
import type { CatalogService, ChannelAdmin, Config, FeedService, HealthMonitor, KeyAdmin, Logger, QueryAdmin, QueryOverviewService, RedisClient, StreamHub } from '@tubefeed/core';
import type { WebhookAdmin } from '@tubefeed/core';
import type { ApiMetrics } from './metrics/api-metrics.js';
import { createAdminGuard, requireAdmin } from './plugins/admin-auth.js';
import { registerBullBoard } from './plugins/bull-board.js';
import { registerCors } from './plugins/cors.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './plugins/error-handler.js';
import { registerOpenApi, registerSwaggerUi } from './plugins/openapi.js';
import { registerQueryEncodingCheck } from './plugins/query-encoding.js';
import { registerPublicRateLimit } from './plugins/rate-limit.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { buildValidator } from './validation/validator-compilers.js';
import type { SharedWindowCounter } from './plugins/shared-rate-limit-store.js';
import { registerStrictIntegers } from './plugins/strict-integers.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { feedRoutes } from './routes/feed.js';
import { adminRoutes } from './routes/admin.js';
import { channelRoutes } from './routes/channels.js';
import { webhookRoutes } from './routes/webhooks.js';
import { atomFeedRoutes } from './routes/atom-feed.js';
import { healthRoutes } from './routes/health.js';
import { queryRoutes } from './routes/queries.js';
import { videoRoutes } from './routes/videos.js';
import { videoStreamRoutes } from './routes/video-stream.js';
import { ErrorBody, Video } from './schemas/common.js';

export interface ApiDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly feed: FeedService;
  readonly catalog: CatalogService;
  /** SSE fan-out of the feeds' event logs (GET /videos/stream). */
  readonly streams: StreamHub;
  readonly queries: QueryOverviewService;
  readonly keyAdmin: KeyAdmin;
  readonly queryAdmin: QueryAdmin;
  /** Webhooks registered at run time (POST /admin/webhooks). */
  readonly webhookAdmin: WebhookAdmin;
  /** Channels followed at run time (POST /admin/channels). */
  readonly channelAdmin: ChannelAdmin;
  readonly metrics: ApiMetrics;
  /** Dependency state for /health, probed in the background (started and stopped by the runtime). */
  readonly health: Pick<HealthMonitor, 'current'>;
  /** Queues shown in Bull Board. */
  readonly queues: readonly Queue[];
  /** Counts public requests per client for the rate limit, shared by the API processes (null: no limit). */
  readonly requestCounter: SharedWindowCounter | null;
  /** Where failed admin logins are counted. */
  readonly redis: RedisClient;
  /** Runs each request under one deadline for all its MySQL waits (core's Db.withDeadline). */
  readonly withDbDeadline?: (run: () => void) => void;
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // The cast is not a no-op: it keeps the instance's logger generic at FastifyBaseLogger, so
    // plugins typed against a plain FastifyInstance accept this one.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.log as FastifyBaseLogger,
    // Off unless TRUST_PROXY says which proxies' X-Forwarded-For to believe: otherwise any client
    // could name its own address, and with it its rate-limit bucket.
    trustProxy: typeof deps.config.http.trustProxy === 'boolean' ? deps.config.http.trustProxy : [...deps.config.http.trustProxy],
    // Refusals made before any route runs, in the error shape too (error-handler.ts).
    frameworkErrors,
    clientErrorHandler,
    // Node would answer an HTTP/1.1 request without Host with an empty 400 before any code of
    // ours runs; the hook below refuses it in the error shape instead.
    // A client must send its headers, then its whole request, within the configured timeouts
    // (408 past them); Node checks them once a second rather than its default 30 s, so a
    // connection that stalls is closed within a second of its deadline. Node wants both
    // timeouts at creation (it refuses a headers timeout above its default request timeout).
    http: {
      requireHostHeader: false,
      headersTimeout: deps.config.http.headersTimeoutMs,
      requestTimeout: deps.config.http.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    // Fastify sets these on the server after creating it (its own defaults: none, and 72 s).
    requestTimeout: deps.config.http.requestTimeoutMs,
    keepAliveTimeout: deps.config.http.keepAliveTimeoutMs,
    ajv: {
      customOptions: {
        // Unknown parameters are errors, not silently dropped: a typo like `limt=5` should say so.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
    // Bodies are validated without that coercion (validator-compilers.ts).
    schemaController: { compilersFactory: { buildValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      void reply.code(400).header('connection', 'close').send({ isError: true, message: 'HTTP/1.1 requests must carry a Host header' });
      return;
    }
    done();
  });
  app.addSchema(ErrorBody);
  app.addSchema(Video);
  await registerOpenApi(app);
  registerErrorHandling(app);
  registerStrictIntegers(app);
  registerQueryEncodingCheck(app);
  registerSecurityHeaders(app);
  const { withDbDeadline } = deps;
  if (withDbDeadline !== undefined) {
    // Whatever a request starts runs inside the deadline: MySQL unreachable means a quick 503.
    app.addHook('onRequest', (_request, _reply, done) => withDbDeadline(() => done()));
  }
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    return Promise.resolve();
  });

  // Probes are not rate-limited: a 429 would read as "unhealthy" and take a healthy replica out
  // of service; each answer is prepared in memory (no I/O per request).
  await app.register(healthRoutes, { health: deps.health });
  // The public surface: API, dashboard, docs. Rate-limited per client; CORS as configured.
  await app.register(async (publicApi) => {
    await registerPublicRateLimit(publicApi, deps.config.rateLimit, deps.requestCounter);
    await registerCors(publicApi, deps.config.cors);
    await publicApi.register(feedRoutes, { feed: deps.feed });
    await publicApi.register(videoRoutes, { catalog: deps.catalog });
    await publicApi.register(atomFeedRoutes, { catalog: deps.catalog });
    await publicApi.register(videoStreamRoutes, {
      catalog: deps.catalog,
      streams: deps.streams,
      // At most half the connection cap: other requests always find room.
      limits: { perProcess: Math.min(deps.config.push.maxClients, Math.floor(deps.config.http.maxConnections / 2)), perAddress: deps.config.push.maxClientsPerAddress },
    });
    await publicApi.register(queryRoutes, { overview: deps.queries });
    await publicApi.register(dashboardRoutes);
    await registerSwaggerUi(publicApi);
  });
  // The admin surfaces: credentials, and a limit on failed logins.
  const guard = await createAdminGuard(app, deps.config.admin, deps.redis, deps.config.redis.prefix);
  await registerBullBoard(app, deps.queues, guard);
  await app.register(adminRoutes, { guard, keys: deps.keyAdmin, queries: deps.queryAdmin });
  await app.register(webhookRoutes, { guard, webhooks: deps.webhookAdmin });
  await app.register(channelRoutes, { guard, channels: deps.channelAdmin });
  if (deps.config.metrics.port === 0) {
    // Without a listener of its own, /metrics is an admin surface.
    await app.register(async (scope) => {
      requireAdmin(scope, guard);
      scope.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
        reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
      );
      return Promise.resolve();
    });
  }
  return app;
}
