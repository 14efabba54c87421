// Bull Board at /admin/queues, behind admin credentials: the schedulers, waiting, completed and
// failed fetch jobs, webhook deliveries, enrichment runs and channel polls, with their results (job data and
// results hold no keys and no webhook secrets); a failed delivery can be retried from there.
import { createBullBoard } from '@bull-board/api';
import type { ControllerHandlerReturnType } from '@bull-board/api/dist/types.js';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { requireAdmin, type AdminGuard } from './admin-auth.js';
import { errorAnswer } from './error-handler.js';
import { BULL_BOARD_CSP, usePagePolicy } from './security-headers.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * BullMQ's refusals of an action on a job in the wrong state (promote a job that is not
 * delayed, retry one that has not failed, a job removed meanwhile): the request's fault, 409.
 */
const JOB_STATE_REFUSAL = /^(Missing key for job|Missing lock for job|Lock mismatch for job|Job \S+ (is not in the|has pending dependencies|is locked|belongs to a job scheduler))/;

export async function registerBullBoard(app: FastifyInstance, queues: readonly Queue[], guard: AdminGuard): Promise<void> {
  const log = app.log;
  await app.register(async (scope) => {
    requireAdmin(scope, guard);
    if (guard.admin.password === null) {
      scope.all(`${BULL_BOARD_PATH}`, () => undefined);
      scope.all(`${BULL_BOARD_PATH}/*`, () => undefined);
      return;
    }
    usePagePolicy(scope, BULL_BOARD_CSP);
    // Bull Board separates the parts of its own validation messages with a NUL: one in a
    // parameter breaks its error path (a JSON.parse of the rest, then a 500). No parameter of it
    // holds one legitimately.
    scope.addHook('onRequest', async (request, reply) => {
      if (!/%00/.test(request.url)) return;
      return reply.code(400).type('application/json; charset=utf-8').send({ isError: true, message: 'Query parameters must not contain a NUL character (%00).' });
    });
    // Redis away answers 503: say when to come back, as the API's own handler does.
    scope.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5');
      return payload;
    });
    const adapter = new FastifyAdapter();
    adapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'tubefeed' } },
    });
    // Bull Board answers whatever is thrown in its scope with a 500 in a shape of its own. Its
    // handlers answer their own validation errors (`{"error":{"key":"ERRORS.…"}}`, which its
    // page translates) without throwing; what is thrown is ours to answer: the API's refusals
    // (a malformed query string, a body that does not parse) keep their status and take the
    // API's error shape, BullMQ refusing an action on a job in the wrong state is a 409, and
    // anything else is what the API's own handler makes of it (503 for Redis away, else a 500
    // without internals, logged).
    adapter.setErrorHandler((error: Error) => {
      const answer = JOB_STATE_REFUSAL.test(error.message) ? { status: 409, message: error.message } : errorAnswer(error, log);
      // Its type lists the statuses Bull Board itself answers with; the adapter sends any.
      return { status: answer.status as ControllerHandlerReturnType['status'], body: { isError: true, message: answer.message } };
    });
    await scope.register(adapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  });
}
