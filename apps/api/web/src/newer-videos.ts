// "N new videos – show": polls page 1 of /getData with one video and If-None-Match (the API
// answers from its in-memory snapshot, mostly with a bodiless 304) and compares the newest
// video and the total with what they were when the list was last loaded.
import { feedHead, type FeedHead } from './api-client.js';
import { el } from './element.js';

export interface NewerVideosOptions {
  /** The aria-live region the notice appears in. */
  readonly region: HTMLElement;
  readonly intervalMs: number;
  /** Called when the user asks to see the new videos. */
  readonly onShow: () => void;
}

export function watchNewerVideos({ region, intervalMs, onShow }: NewerVideosOptions) {
  let scope: string | undefined;
  let baseline: FeedHead | null = null;
  let latest: FeedHead | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  function render(): void {
    if (baseline === null || latest === null) return region.replaceChildren();
    const grown = latest.total - baseline.total;
    if (grown <= 0 && latest.newestId === baseline.newestId) return region.replaceChildren();
    const count = Math.max(grown, 1);
    const button = el('button', { type: 'button', class: 'notice' }, `${count} new ${count === 1 ? 'video' : 'videos'} – show`);
    button.addEventListener('click', onShow);
    region.replaceChildren(button);
  }

  async function poll(): Promise<void> {
    const mine = generation;
    try {
      const head = await feedHead(scope, latest?.etag ?? null);
      if (mine !== generation) return;
      if (head !== null) latest = head;
      if (latest === null) return;
      baseline ??= latest;
      render();
    } catch {
      // A missed poll changes nothing the user sees; the next one tries again.
    }
  }

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (document.hidden) return schedule(intervalMs);
      void poll().finally(() => schedule(intervalMs));
    }, delayMs);
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedule(0);
  });

  return {
    /**
     * The list was (re)loaded: what the feed holds now is the new baseline. `query` scopes the
     * count to a followed query (the feed's own scopes); other filters count the whole feed.
     */
    reset(query: string | undefined): void {
      generation++;
      // Same scope: the next poll revalidates what is known (a 304 makes it the baseline).
      if (query !== scope) latest = null;
      scope = query;
      baseline = null;
      region.replaceChildren();
      schedule(0);
    },
  };
}
