// The YouTube endpoints over HTTP, in the order Google's front end applies its checks:
// (injected latency and faults: errors, drops, stalls, hangs), API key present, known, allowed, project quota, and only then
// the method's own parameter checks. A call that reaches the method is charged in full even when
// its parameters are rejected; a call refused for quota, key or an injected fault costs nothing.
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  accessNotConfigured,
  apiKeyServiceBlocked,
  dailyLimitExceeded,
  faultResponse,
  invalidApiKey,
  missingApiKey,
  quotaExceeded,
  type ApiResponse,
} from './api-errors.js';
import { maskKey, type KeyRegistry, type SimKey } from './api-keys.js';
import type { CallLog, EndpointName } from './call-log.js';
import type { FaultInjector, WaitOutcome } from './faults.js';
import { QueryParams, type RawQuery } from './query-params.js';
import { SEARCH_COST, searchList } from './search-endpoint.js';
import type { SimClock } from './sim-clock.js';
import { VIDEOS_COST, videosList } from './videos-endpoint.js';
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
  cost: number;
  handle: (params: QueryParams, world: World) => ApiResponse;
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'search.list',
    path: '/youtube/v3/search',
    methodName: 'youtube.api.v3.V3DataSearchService.List',
    cost: SEARCH_COST,
    handle: searchList,
  },
  {
    name: 'videos.list',
    path: '/youtube/v3/videos',
    methodName: 'youtube.api.v3.V3DataVideoService.List',
    cost: VIDEOS_COST,
    handle: videosList,
  },
];

/** Quoted in fault bodies when the call's key is unknown. */
const UNKNOWN_PROJECT_NUMBER = '000000000000';

export function registerYoutubeRoutes(app: FastifyInstance, deps: YoutubeRoutesDeps): void {
  for (const endpoint of ENDPOINTS) {
    app.get(endpoint.path, (request, reply) => serve(deps, endpoint, request, reply));
  }
}

function keyAnswer(endpoint: Endpoint, keyText: string | undefined, simKey: SimKey | undefined): ApiResponse | undefined {
  if (keyText === undefined) return missingApiKey();
  if (simKey === undefined) return invalidApiKey();
  switch (simKey.state) {
    case 'blocked':
      return apiKeyServiceBlocked(endpoint.methodName, simKey.project.number);
    case 'notConfigured':
      return accessNotConfigured(simKey.project.number);
    case 'ok':
      return undefined;
  }
}

async function serve(deps: YoutubeRoutesDeps, endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { keys, faults, calls, clock, world, log } = deps;
  const params = new QueryParams(request.query as RawQuery);
  const at = clock.now().toISOString();
  const header = request.headers['x-goog-api-key'];
  const keyText = params.first('key') ?? (typeof header === 'string' && header !== '' ? header : undefined);
  const simKey = keyText === undefined ? undefined : keys.get(keyText);

  const finish = (answer: ApiResponse, units: number): FastifyReply => {
    const record = calls.record({
      at,
      endpoint: endpoint.name,
      params: params.withoutKey(),
      key: keyText === undefined ? null : maskKey(keyText),
      keyIndex: simKey?.index ?? null,
      status: answer.status,
      reason: answer.reason,
      units,
      results: answer.results ?? null,
    });
    log.debug({ call: record }, 'youtube call');
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
    calls.record({
      at,
      endpoint: endpoint.name,
      params: params.withoutKey(),
      key: keyText === undefined ? null : maskKey(keyText),
      keyIndex: simKey?.index ?? null,
      status: null,
      reason,
      units: 0,
      results: null,
    });
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
  const decision = faults.decide();
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
      // cannot tell whether it was served (or charged).
      return hangUp('connectionDropped');
    case 'error':
      return finish(faultResponse(decision.fault, simKey?.project.number ?? UNKNOWN_PROJECT_NUMBER), 0);
    case 'none':
      break;
  }

  const refused = keyAnswer(endpoint, keyText, simKey);
  if (refused !== undefined || simKey === undefined) return finish(refused ?? invalidApiKey(), 0);

  const charge = keys.charge(simKey, endpoint.cost);
  if (!charge.ok) return finish(simKey.legacyQuotaBody ? dailyLimitExceeded(charge.project.number) : quotaExceeded(), 0);

  return finish(endpoint.handle(params, world), endpoint.cost);
}
