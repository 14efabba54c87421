// Bull Board at /admin/queues, behind admin credentials: the schedulers, waiting, completed and
// failed fetch jobs, with their results (job data and results hold no keys).
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { requireAdmin, type AdminGuard } from './admin-auth.js';
import { BULL_BOARD_CSP, usePagePolicy } from './security-headers.js';

export const BULL_BOARD_PATH = '/admin/queues';

export async function registerBullBoard(app: FastifyInstance, queues: readonly Queue[], guard: AdminGuard): Promise<void> {
  await app.register(async (scope) => {
    requireAdmin(scope, guard);
    if (guard.admin.password === null) {
      scope.all(`${BULL_BOARD_PATH}`, () => undefined);
      scope.all(`${BULL_BOARD_PATH}/*`, () => undefined);
      return;
    }
    usePagePolicy(scope, BULL_BOARD_CSP);
    const adapter = new FastifyAdapter();
    adapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'tubefeed' } },
    });
    await scope.register(adapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  });
}
