// The header's service status: the state of the YouTube keys (/health) and the last fetch of
// each followed query (/queries), refreshed on a timer.
import { followedQueries, health, type FollowedQuery, type Health } from './api-client.js';
import { el } from './element.js';
import { timeElement } from './relative-time.js';

export interface StatusHeaderElements {
  readonly keys: HTMLElement;
  readonly queries: HTMLElement;
}

const resetTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

type Tone = 'ok' | 'warn' | 'bad';

function keyState(report: Health): { text: string; tone: Tone } {
  if (report.checks.mysql === 'down' || report.checks.redis === 'down') return { text: report.message, tone: 'bad' };
  switch (report.checks.youtube) {
    case 'ok':
      return { text: 'healthy', tone: 'ok' };
    case 'quota_exhausted': {
      const until = report.quotaResetAt === null ? 'the next reset' : resetTime.format(new Date(report.quotaResetAt));
      return { text: `searches spent until ${until} (midnight Pacific)`, tone: 'warn' };
    }
    case 'keys_suspect':
      return { text: 'keys set aside (unexplained YouTube answers)', tone: 'bad' };
    case 'keys_disabled':
      return { text: 'keys disabled', tone: 'bad' };
    case 'no_keys':
      return { text: 'no keys', tone: 'warn' };
    case 'unknown':
      return { text: 'unknown', tone: 'warn' };
  }
}

function renderKeys(target: HTMLElement, report: Health | null): void {
  if (report === null) {
    target.replaceChildren(el('span', { class: 'dot dot--warn', 'aria-hidden': 'true' }), 'YouTube keys: status unavailable');
    return;
  }
  const { text, tone } = keyState(report);
  const search = report.quota?.buckets.search;
  const counts =
    report.keys === null
      ? null
      : [
          `${report.keys.ok} ok · ${report.keys.exhausted} exhausted · ${report.keys.suspect} suspect · ${report.keys.disabled} disabled`,
          ...(search === undefined ? [] : [`${search.remaining} of ${search.limit} searches left today`]),
        ].join(' · ');
  target.replaceChildren(
    el('span', { class: `dot dot--${tone}`, 'aria-hidden': 'true' }),
    'YouTube keys: ',
    el('strong', {}, text),
    ...(counts === null ? [] : [el('span', { class: 'muted' }, ` (${counts})`)]),
  );
}

function queryLine(query: FollowedQuery): HTMLLIElement {
  const outcome = query.lastOutcome ?? 'pending';
  const tone: Tone = outcome === 'ok' ? 'ok' : outcome === 'partial' || outcome === 'pending' ? 'warn' : 'bad';
  return el(
    'li',
    { title: query.lastError ?? undefined },
    el('span', { class: `dot dot--${tone}`, 'aria-hidden': 'true' }),
    el('strong', {}, query.text),
    ' ',
    query.lastFetchAt === null ? 'not fetched yet' : el('span', {}, 'fetched ', timeElement(query.lastFetchAt)),
    query.lastOutcome === null ? null : ` · ${query.lastOutcome.replaceAll('_', ' ')}`,
    query.lastNewVideos === null || query.lastNewVideos === 0 ? null : ` · ${query.lastNewVideos} new`,
  );
}

function renderQueries(target: HTMLElement, queries: readonly FollowedQuery[] | null): void {
  if (queries === null) target.replaceChildren(el('li', {}, 'Followed queries: status unavailable'));
  else if (queries.length === 0) target.replaceChildren(el('li', {}, 'No followed queries yet'));
  else target.replaceChildren(...queries.map(queryLine));
}

/** Shows the status now and every `intervalMs`; `onQueries` receives each fresh list of followed queries. */
export function startStatusHeader(
  elements: StatusHeaderElements,
  onQueries: (queries: readonly FollowedQuery[]) => void,
  intervalMs = 30_000,
): void {
  async function refresh(): Promise<void> {
    const [report, queries] = await Promise.all([health().catch(() => null), followedQueries().catch(() => null)]);
    renderKeys(elements.keys, report);
    renderQueries(elements.queries, queries);
    if (queries !== null) onQueries(queries);
  }
  const tick = (): void => {
    void refresh().finally(() => setTimeout(tick, intervalMs));
  };
  tick();
}
