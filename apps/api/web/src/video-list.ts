// The result list: loads the first page for a view state, then keeps going by cursor, on
// scroll (an IntersectionObserver on a sentinel below the cards) or with the "Load more" button.
// A video already shown is never shown again, and an answer to a superseded request is dropped.
//
// New videos from the live stream (`arrive`) are slotted in where they sort while only the
// first page is loaded, briefly highlighted; the first page keeps its size, so the row pushed
// off its end waits (with any others) to be shown first by the next "Load more", and the
// cursor, which points past it, stays right. Past the first page a new video that sorts above
// the rows shown is handed to `onWaiting` instead: the rows do not move under the reader.
import { ApiError, listVideos, searchVideos, type Video, type VideoPage } from './api-client.js';
import { apiParams, fitsView, followsLive, isSearching, type ViewState } from './view-state.js';
import { videoCard } from './video-card.js';

export const PAGE_SIZE = 24;
/** How long a card that arrived live stays highlighted. */
const HIGHLIGHT_MS = 4_000;

export interface VideoListElements {
  readonly list: HTMLOListElement;
  readonly status: HTMLElement;
  readonly error: HTMLElement;
  readonly empty: HTMLElement;
  readonly sentinel: HTMLElement;
  readonly loadMore: HTMLButtonElement;
}

export interface VideoListOptions {
  readonly onChannel: (channelId: string, channelTitle: string) => void;
  /** Called with the first page of every (re)load. */
  readonly onFirstPage?: (items: readonly Video[]) => void;
  /** A new video that sorts above the rows shown, past the first page (not slotted in). */
  readonly onWaiting?: (video: Video) => void;
}

export function createVideoList(elements: VideoListElements, options: VideoListOptions) {
  const { list, status, error, empty, sentinel, loadMore } = elements;
  let state: ViewState = { q: '' };
  let generation = 0;
  let cursor: string | null = null;
  let loading = false;
  let finished = true;
  const shown = new Set<string>();
  /** Pages loaded for the current state: 0 while its first page loads (or failed to). */
  let pages = 0;
  /** Cards pushed off the first page by new arrivals, in order: shown first by the next "Load more". */
  let overflow: HTMLLIElement[] = [];
  /** Videos that arrived while the first page was loading: placed once it is in. */
  let arrivedEarly: Video[] = [];
  /** The live stream joined while the first page was loading: look again once it is in. */
  let catchUpAfterLoad = false;
  const publishedAt = new WeakMap<Element, number>();
  // Loads ahead while the sentinel is within 600 px of the viewport; not while an error shows
  // (the button retries then), so a failing server is not asked again and again.
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && error.hidden) void more();
    },
    { rootMargin: '0px 0px 600px 0px' },
  );

  function fetchPage(view: ViewState, after: string | null): Promise<VideoPage> {
    const params = apiParams(view, PAGE_SIZE, after);
    return isSearching(view) ? searchVideos(params) : listVideos(params);
  }

  function render(): void {
    const count = list.childElementCount;
    const more = !finished || overflow.length > 0;
    list.setAttribute('aria-busy', String(loading));
    empty.hidden = loading || count > 0 || !error.hidden;
    loadMore.hidden = !more;
    loadMore.disabled = loading;
    loadMore.textContent = loading ? 'Loading…' : 'Load more';
    if (!error.hidden) status.textContent = '';
    else if (loading && count === 0) status.textContent = 'Loading videos…';
    else status.textContent = `${count} ${count === 1 ? 'video' : 'videos'}${more ? ' shown, more below' : ''}`;
  }

  function card(video: Video): HTMLLIElement {
    const item = videoCard(video, options.onChannel);
    shown.add(video.video_id);
    publishedAt.set(item, Date.parse(video.published_at));
    return item;
  }

  function showError(message: string | null): void {
    error.textContent = message ?? '';
    error.hidden = message === null;
  }

  function append(items: readonly Video[]): HTMLLIElement[] {
    const added: HTMLLIElement[] = [];
    for (const video of items) {
      if (shown.has(video.video_id)) continue;
      added.push(card(video));
    }
    list.append(...added);
    return added;
  }

  /**
   * A video just stored in the feed the page follows (or found missing from the first page
   * after the stream joined): placed where it sorts, newest first (a new video is stored after
   * every row with its publish time, so it goes before them), unless it sorts below the rows
   * loaded while more are to come (the next page brings it).
   */
  function arrive(video: Video): void {
    if (!followsLive(state) || !fitsView(state, video) || shown.has(video.video_id)) return;
    if (pages === 0) {
      if (loading) arrivedEarly.push(video);
      return;
    }
    const time = Date.parse(video.published_at);
    const rows = [...list.children, ...overflow];
    let at = rows.findIndex((row) => (publishedAt.get(row) ?? Number.POSITIVE_INFINITY) <= time);
    if (at === -1) {
      if (!finished) return;
      at = rows.length;
    }
    const visible = list.childElementCount;
    // Not while the next page loads either: it is appended after the rows shown now.
    const firstPageOnly = pages === 1 && !loading;
    if (!firstPageOnly && at < visible) {
      options.onWaiting?.(video);
      return;
    }
    const item = card(video);
    if (at < visible || overflow.length === 0) {
      list.insertBefore(item, list.children[at] ?? null);
      item.classList.add('card--new');
      setTimeout(() => item.classList.remove('card--new'), HIGHLIGHT_MS);
    } else {
      overflow.splice(at - visible, 0, item);
    }
    while (firstPageOnly && list.childElementCount > PAGE_SIZE && list.lastElementChild instanceof HTMLLIElement) {
      const last = list.lastElementChild;
      last.remove();
      overflow.unshift(last);
    }
    render();
  }

  /** Reads the first page again and places what it holds that is not shown (see `onJoined`). */
  async function catchUp(): Promise<void> {
    if (loading && pages === 0) {
      catchUpAfterLoad = true;
      return;
    }
    if (pages === 0 || !followsLive(state)) return;
    const mine = generation;
    try {
      const page = await fetchPage(state, null);
      if (mine !== generation) return;
      for (const video of page.items) arrive(video);
    } catch {
      // The stream delivers everything from here on; what this look could have added is at
      // most a video stored while the stream joined, shown at the next reload.
    }
  }

  async function load(first: boolean): Promise<HTMLLIElement[]> {
    const mine = generation;
    loading = true;
    render();
    try {
      const page = await fetchPage(state, first ? null : cursor);
      if (mine !== generation) return [];
      if (first) {
        list.replaceChildren();
        shown.clear();
        overflow = [];
        options.onFirstPage?.(page.items);
      }
      showError(null);
      cursor = page.nextCursor;
      finished = cursor === null;
      pages++;
      return append(page.items);
    } catch (failure) {
      if (mine !== generation) return [];
      if (first) {
        list.replaceChildren();
        shown.clear();
        overflow = [];
        finished = true;
      }
      showError(failure instanceof ApiError ? failure.message : 'Something went wrong loading videos.');
      return [];
    } finally {
      if (mine === generation) {
        loading = false;
        render();
        // The observer reports changes only: look again in case the sentinel is still in view.
        observer.unobserve(sentinel);
        observer.observe(sentinel);
        if (first) {
          for (const video of arrivedEarly.splice(0)) arrive(video);
          if (catchUpAfterLoad) {
            catchUpAfterLoad = false;
            void catchUp();
          }
        }
      }
    }
  }

  async function more(): Promise<HTMLLIElement[]> {
    if (loading || (finished && overflow.length === 0)) return [];
    // The rows new arrivals pushed off the first page come first; the cursor follows them.
    const pushed = overflow.splice(0);
    list.append(...pushed);
    if (finished) {
      pages++;
      render();
      return pushed;
    }
    return [...pushed, ...(await load(false))];
  }

  observer.observe(sentinel);
  loadMore.addEventListener('click', () => {
    void more().then((added) => {
      // Keyboard users continue where the new videos start, not at the bottom of the page.
      added[0]?.querySelector('a')?.focus();
    });
  });

  return {
    /** Shows the first page for this state (the cards so far stay until it arrives). */
    async reload(next: ViewState): Promise<void> {
      state = next;
      generation++;
      cursor = null;
      finished = true;
      pages = 0;
      overflow = [];
      arrivedEarly = [];
      showError(null);
      await load(true);
    },
    arrive,
    catchUp,
  };
}

export type VideoList = ReturnType<typeof createVideoList>;
