// The YouTube endpoints over HTTP. On arrival a call's key is checked (present, known, usable)
// and, when it is, the method's price is taken from its bucket of the key's project: Google
// charges every request that reaches it with a usable key, whatever happens next (rejected
// parameters, a 5xx, a rate limit, a dropped connection, a hang the client gives up on). Only a
// full bucket (quotaExceeded) and a refused key cost nothing. Then come injected latency and
// faults, and only then the answer: the key's refusal, the quota's, or the method's own
// parameter checks and results.
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dailyLimitExceeded, invalidApiKey, missingApiKey, quotaExceeded, type ApiResponse } from './api-errors.js';
import { maskKey, type KeyRegistry, type SimKey } from './api-keys.js';
import type { CallLog, EndpointName } from './call-log.js';
import { errorBodySpec, errorResponse, keyStateBody, type ErrorContext } from './error-catalogue.js';
import type { FaultInjector, WaitOutcome } from './faults.js';
import { QueryParams, type RawQuery } from './query-params.js';
import { METHOD_QUOTA } from './quota-buckets.js';
import { channelsList } from './channels-endpoint.js';
import { playlistItemsList } from './playlist-items-endpoint.js';
import { searchList } from './search-endpoint.js';
import type { SimClock } from './sim-clock.js';
import { videosList } from './videos-endpoint.js';
import type { World } from './world.js';

export interface YoutubeRoutesDeps {
  world: World;
  keys: KeyRegistry;
  faults: FaultInjector;
  calls: CallLog;
  clock: SimClock;
  log: FastifyBaseLogger;
}

interface Endpoint {
  name: EndpointName;
  path: string;
  /** The method name Google quotes in "requests … are blocked" bodies. */
  methodName: string;
  handle: (params: QueryParams, world: World) => ApiResponse;
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'search.list',
    path: '/youtube/v3/search',
    methodName: 'youtube.api.v3.V3DataSearchService.List',
    handle: searchList,
  },
  {
    name: 'videos.list',
    path: '/youtube/v3/videos',
    methodName: 'youtube.api.v3.V3DataVideoService.List',
    handle: videosList,
  },
  {
    name: 'channels.list',
    path: '/youtube/v3/channels',
    methodName: 'youtube.api.v3.V3DataChannelService.List',
    handle: channelsList,
  },
  {
    name: 'playlistItems.list',
    path: '/youtube/v3/playlistItems',
    methodName: 'youtube.api.v3.V3DataPlaylistItemService.List',
    handle: playlistItemsList,
  },
];

/** Quoted in fault bodies when the call's key is unknown. */
const UNKNOWN_PROJECT_NUMBER = '000000000000';

export function registerYoutubeRoutes(app: FastifyInstance, deps: YoutubeRoutesDeps): void {
  for (const endpoint of ENDPOINTS) {
    app.get(endpoint.path, (request, reply) => serve(deps, endpoint, request, reply));
  }
}

/** Why the key cannot be used, or undefined when it can. */
function keyAnswer(keyText: string | undefined, simKey: SimKey | undefined, context: ErrorContext): ApiResponse | undefined {
  if (keyText === undefined) return missingApiKey();
  if (simKey === undefined) return invalidApiKey();
  const body = keyStateBody(simKey.state);
  return body === undefined ? undefined : errorResponse(body, context);
}

async function serve(deps: YoutubeRoutesDeps, endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { keys, faults, calls, clock, world, log } = deps;
  const params = new QueryParams(request.query as RawQuery);
  const at = clock.now().toISOString();
  const header = request.headers['x-goog-api-key'];
  const keyText = params.first('key') ?? (typeof header === 'string' && header !== '' ? header : undefined);
  const simKey = keyText === undefined ? undefined : keys.get(keyText);
  const referer = request.headers.referer;
  const context: ErrorContext = {
    projectNumber: simKey?.project.number ?? UNKNOWN_PROJECT_NUMBER,
    methodName: endpoint.methodName,
    ip: request.ip,
    ...(referer === undefined || referer === '' ? {} : { referer }),
  };

  // Everything that decides the price is settled on arrival, before any wait: a call the
  // client abandons, or whose connection drops, has been charged all the same.
  const decision = faults.decide();
  const refused = keyAnswer(keyText, simKey, context);
  const { bucket, cost } = METHOD_QUOTA[endpoint.name];
  // An injected answer that Google does not charge for (a quota or key refusal) costs nothing.
  const freeAnswer = decision.kind === 'error' && !errorBodySpec(decision.body).bucketCharged;
  let units = 0;
  let overQuota: ApiResponse | undefined;
  if (refused === undefined && simKey !== undefined && !freeAnswer) {
    const charge = keys.charge(simKey, bucket, cost);
    if (charge.ok) units = cost;
    else overQuota = simKey.legacyQuotaBody ? dailyLimitExceeded(charge.project.number) : quotaExceeded();
  }

  const record = (status: number | null, reason: string | null, results: number | null, videoIds: string[] | null = null) =>
    calls.record({
      at,
      endpoint: endpoint.name,
      params: params.withoutKey(),
      key: keyText === undefined ? null : maskKey(keyText),
      keyIndex: simKey?.index ?? null,
      status,
      reason,
      bucket: units > 0 ? bucket : null,
      units,
      results,
      videoIds,
    });

  const finish = (answer: ApiResponse): FastifyReply => {
    const entry = record(answer.status, answer.reason, answer.results ?? null, answer.videoIds ?? null);
    log.debug({ call: entry }, 'youtube call');
    return reply.code(answer.status).type('application/json; charset=UTF-8').send(JSON.stringify(answer.body));
  };

  // A waiting call ends early if the client hangs up (its timeout) or the simulator closes.
  let clientGone = false;
  const onClientGone: Array<() => void> = [];
  reply.raw.once('close', () => {
    if (reply.raw.writableEnded) return;
    clientGone = true;
    for (const callback of onClientGone) callback();
  });
  const onAbandon = (abandon: () => void) => {
    if (clientGone) abandon();
    else onClientGone.push(abandon);
  };
  // No answer at all: the call is logged without a status and the connection is cut.
  const hangUp = (reason: 'clientClosed' | 'simulatorClosed' | 'connectionDropped'): FastifyReply => {
    record(null, reason, null);
    reply.hijack();
    request.raw.socket.destroy();
    return reply;
  };
  const giveUp = (outcome: Exclude<WaitOutcome, 'released'>): FastifyReply => hangUp(outcome === 'abandoned' ? 'clientClosed' : 'simulatorClosed');

  const latencyMs = faults.latencyMs();
  if (latencyMs > 0) {
    const outcome = await faults.wait(latencyMs, onAbandon);
    if (outcome !== 'released') return giveUp(outcome);
  }
  switch (decision.kind) {
    case 'hang':
    case 'stall': {
      // A stall goes on to a normal answer after its time; a hang only when faults are cleared.
      const outcome = await faults.wait(decision.kind === 'stall' ? decision.ms : undefined, onAbandon);
      if (outcome !== 'released') return giveUp(outcome);
      break;
    }
    case 'drop':
      // The request arrived and the connection dies without a byte of answer: the client
      // cannot tell whether it was served (it was charged).
      return hangUp('connectionDropped');
    case 'error':
      return finish(errorResponse(decision.body, context));
    case 'none':
      break;
  }

  if (refused !== undefined) return finish(refused);
  if (overQuota !== undefined) return finish(overQuota);
  return finish(endpoint.handle(params, world));
}
