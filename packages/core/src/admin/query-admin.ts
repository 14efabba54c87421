// Run-time management of the followed queries (the admin API). Following creates the query's
// fetch schedule in every worker without a restart (through the control channel); dropping it
// stops fetching but keeps its videos, still filterable with `query=`. The text is held to the
// operator-text rule (platform/operator-text.ts) before anything is stored: normalised to NFC, so
// "café" composed or decomposed is one query, and refused with the field named when it holds a
// control, invisible or bidirectional character.
import type { ControlChannel } from './control-channel.js';
import { InvalidRequestError, NotFoundError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { checkOperatorText, QUERY_TEXT_MAX_LENGTH } from '../platform/operator-text.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { SearchQueryRow } from '../platform/db/schema.js';
import type { AdminQueryView } from './admin-schemas.js';

const toView = (row: SearchQueryRow): AdminQueryView => ({
  id: row.id,
  text: row.text,
  followed: row.enabled === 1,
  origin: row.origin,
  createdAt: row.created_at,
  lastFetchAt: row.last_fetch_at,
  lastOutcome: row.last_outcome,
  lastError: row.last_error,
});

export type QueryAdmin = ReturnType<typeof createQueryAdmin>;

export function createQueryAdmin({
  queries,
  control,
  log,
}: {
  queries: Pick<SearchQueryRepository, 'list' | 'follow' | 'findById' | 'findByText' | 'unfollow'>;
  control: Pick<ControlChannel, 'publish'>;
  log: Logger;
}) {
  async function list(): Promise<AdminQueryView[]> {
    return (await queries.list()).map(toView);
  }

  async function follow(text: string): Promise<{ query: AdminQueryView; created: boolean }> {
    const checked = checkOperatorText('text', text, QUERY_TEXT_MAX_LENGTH);
    if (!checked.ok) throw new InvalidRequestError('text', checked.problem);
    // "Already followed" is decided by the database's own comparison, the one its unique key
    // makes: the row the follow below lands on is the row found here.
    const before = await queries.findByText(checked.text);
    const row = await queries.follow(checked.text, 'admin');
    await control.publish('queries-changed');
    log.info({ queryId: row.id, query: row.text }, 'query followed');
    return { query: toView(row), created: before === undefined || before.enabled !== 1 };
  }

  async function drop(id: number): Promise<void> {
    const row = await queries.findById(id);
    if (row === undefined) throw new NotFoundError(`no search query with id ${id}`);
    await queries.unfollow(id);
    await control.publish('queries-changed');
    log.info({ queryId: id, query: row.text }, 'query dropped; its videos stay');
  }

  return { list, follow, drop };
}
