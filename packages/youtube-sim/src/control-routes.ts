// The simulator's control API under /__sim (JSON in, JSON out): what tests and the offline demo
// use to look behind the curtain and to stage trouble. Not part of YouTube's API; a client
// pointed at real YouTube never calls it. Documented in the package README.
import type { FastifyError, FastifyInstance } from 'fastify';
import { KEY_STATES, type KeyPatch, type NewKey } from './api-keys.js';
import { ERROR_BODY_NAMES } from './error-catalogue.js';
import type { FaultSettings } from './faults.js';
import type { SearchBehaviour } from './search-behaviour.js';
import { NotFoundError, type ClockChange, type Instant, type SimControl } from './sim-control.js';
import type { Removal } from './video-details.js';
import { ConflictError, type StreamConfig } from './world.js';

const instant = { anyOf: [{ type: 'string' }, { type: 'number' }] };
const units = { type: 'integer', minimum: 0 };
const share = { type: 'number', minimum: 0, maximum: 1 };

const bucketLimits = { searchCallsPerDay: units, unitsPerDay: units, insertCallsPerDay: units };

const newKeySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', minLength: 1 },
    project: { type: 'string', minLength: 1 },
    ...bucketLimits,
    state: { enum: KEY_STATES },
    legacyQuotaBody: { type: 'boolean' },
  },
};

const keyPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { enum: KEY_STATES },
    ...bucketLimits,
    searchCallsUsed: units,
    unitsUsed: units,
    insertCallsUsed: units,
    legacyQuotaBody: { type: 'boolean' },
  },
};

const searchBehaviourSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { shortPageShare: share, windowLeakShare: share, fadeShare: share, fadeAfterMs: { type: 'number', minimum: 0 } },
};

const faultsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serverErrorShare: share,
    rateLimitShare: share,
    hangShare: share,
    dropShare: share,
    stallShare: share,
    stallMs: { type: 'number', minimum: 0, maximum: 600_000 },
    latencyMs: { type: 'number', minimum: 0, maximum: 600_000 },
    failNext: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'object', additionalProperties: false, required: ['hang'], properties: { hang: { const: true } } },
          { type: 'object', additionalProperties: false, required: ['stall'], properties: { stall: { const: true } } },
          { type: 'object', additionalProperties: false, required: ['drop'], properties: { drop: { const: true } } },
          { type: 'object', additionalProperties: false, required: ['body'], properties: { body: { enum: ERROR_BODY_NAMES } } },
          {
            type: 'object',
            additionalProperties: false,
            required: ['status'],
            properties: { status: { type: 'integer' }, reason: { type: 'string' } },
          },
        ],
      },
    },
  },
};

const clockSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { now: instant, advanceMs: { type: 'number' }, mode: { enum: ['real', 'manual'] } },
};

const streamConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: { q: { type: 'string', minLength: 1 }, publishIntervalMs: { type: 'number', exclusiveMinimum: 0 }, startAt: instant },
};

// `{queries: [...]}`, a bare array, or one stream.
const queriesSchema = {
  anyOf: [
    { type: 'object', additionalProperties: false, required: ['queries'], properties: { queries: { type: 'array', items: streamConfigSchema } } },
    { type: 'array', items: streamConfigSchema },
    streamConfigSchema,
  ],
};

type QueriesBody = { queries: StreamConfig[] } | StreamConfig[] | StreamConfig;

function streamConfigs(body: QueriesBody): StreamConfig[] {
  if (Array.isArray(body)) return body;
  return 'queries' in body ? body.queries : [body];
}

const groundTruthQuerySchema = {
  type: 'object',
  properties: {
    q: { type: 'string' },
    publishedAfter: { type: 'string' },
    publishedBefore: { type: 'string' },
    limit: { type: 'integer', minimum: 0 },
    includeRemoved: { type: 'boolean' },
  },
};

const removalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { enum: ['deleted', 'private'] }, at: instant },
};

export function registerControlRoutes(app: FastifyInstance, control: SimControl, prefix = '/__sim'): void {
  void app.register(
    (scope, _options, done) => {
      scope.setErrorHandler((error: FastifyError, _request, reply) => {
        const status =
          error instanceof NotFoundError ? 404 : error instanceof ConflictError ? 409 : error instanceof RangeError || error.validation ? 400 : 500;
        if (status === 500) scope.log.error({ err: error }, 'control API failure');
        return reply.code(status).send({ error: status === 500 ? 'internal error' : error.message });
      });

      scope.get('/calls', () => ({ calls: control.calls() }));
      scope.delete('/calls', (_request, reply) => {
        control.resetCalls();
        return reply.code(204).send();
      });

      scope.get<{ Querystring: { q?: string; publishedAfter?: string; publishedBefore?: string; limit?: number; includeRemoved?: boolean } }>(
        '/videos',
        { schema: { querystring: groundTruthQuerySchema } },
        (request) => {
          const { q = '', publishedAfter, publishedBefore, limit, includeRemoved } = request.query;
          const videos = control.groundTruth(q, {
            ...(includeRemoved === undefined ? {} : { includeRemoved }),
            ...(publishedAfter === undefined ? {} : { publishedAfter }),
            ...(publishedBefore === undefined ? {} : { publishedBefore }),
          });
          return { now: control.clock().now, total: videos.length, videos: limit === undefined ? videos : videos.slice(0, limit) };
        },
      );

      // Only deleting or making private: a removed video never comes back, as on YouTube the
      // fetcher must treat it as gone.
      scope.patch<{ Params: { id: string }; Body: { status: Removal; at?: Instant } }>(
        '/videos/:id',
        { schema: { body: removalSchema } },
        (request) => control.removeVideo(request.params.id, request.body.status, request.body.at),
      );
      scope.get('/channels', () => ({ channels: control.channels() }));

      scope.get('/quota', () => ({ now: control.clock().now, keys: control.quota() }));
      scope.post<{ Body: NewKey | undefined }>('/keys', { schema: { body: newKeySchema } }, (request, reply) =>
        reply.code(201).send(control.addKey(request.body ?? {})),
      );
      scope.patch<{ Params: { key: string }; Body: KeyPatch }>('/keys/:key', { schema: { body: keyPatchSchema } }, (request) =>
        control.updateKey(request.params.key, request.body),
      );

      scope.get('/faults', () => ({ ...control.faults(), hanging: control.hangingCalls() }));
      scope.put<{ Body: Partial<FaultSettings> }>('/faults', { schema: { body: faultsSchema } }, (request) =>
        control.setFaults(request.body),
      );
      scope.delete('/faults', (_request, reply) => {
        control.clearFaults();
        return reply.code(204).send();
      });

      scope.get('/search-behaviour', () => control.searchBehaviour());
      scope.patch<{ Body: Partial<SearchBehaviour> }>('/search-behaviour', { schema: { body: searchBehaviourSchema } }, (request) =>
        control.setSearchBehaviour(request.body),
      );

      scope.get('/clock', () => control.clock());
      scope.put<{ Body: ClockChange }>('/clock', { schema: { body: clockSchema } }, (request) => control.changeClock(request.body));

      scope.get('/queries', () => ({ queries: control.queries() }));
      scope.put<{ Body: QueriesBody }>('/queries', { schema: { body: queriesSchema } }, (request) => ({
        queries: control.configureQueries(streamConfigs(request.body)),
      }));
      done();
    },
    { prefix },
  );
}
