// The result list: loads the first page for a view state, then keeps going by cursor, on
// scroll (an IntersectionObserver on a sentinel below the cards) or with the "Load more" button.
// A video already shown is never shown again, and an answer to a superseded request is dropped.
import { ApiError, listVideos, searchVideos, type Video, type VideoPage } from './api-client.js';
import { apiParams, isSearching, type ViewState } from './view-state.js';
import { videoCard } from './video-card.js';

export const PAGE_SIZE = 24;

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
}

export function createVideoList(elements: VideoListElements, options: VideoListOptions) {
  const { list, status, error, empty, sentinel, loadMore } = elements;
  let state: ViewState = { q: '' };
  let generation = 0;
  let cursor: string | null = null;
  let loading = false;
  let finished = true;
  const shown = new Set<string>();
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
    const count = shown.size;
    list.setAttribute('aria-busy', String(loading));
    empty.hidden = loading || count > 0 || !error.hidden;
    loadMore.hidden = finished;
    loadMore.disabled = loading;
    loadMore.textContent = loading ? 'Loading…' : 'Load more';
    if (!error.hidden) status.textContent = '';
    else if (loading && count === 0) status.textContent = 'Loading videos…';
    else status.textContent = `${count} ${count === 1 ? 'video' : 'videos'}${finished ? '' : ' shown, more below'}`;
  }

  function showError(message: string | null): void {
    error.textContent = message ?? '';
    error.hidden = message === null;
  }

  function append(items: readonly Video[]): HTMLLIElement[] {
    const added: HTMLLIElement[] = [];
    for (const video of items) {
      if (shown.has(video.video_id)) continue;
      shown.add(video.video_id);
      added.push(videoCard(video, options.onChannel));
    }
    list.append(...added);
    return added;
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
        options.onFirstPage?.(page.items);
      }
      showError(null);
      cursor = page.nextCursor;
      finished = cursor === null;
      return append(page.items);
    } catch (failure) {
      if (mine !== generation) return [];
      if (first) {
        list.replaceChildren();
        shown.clear();
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
      }
    }
  }

  async function more(): Promise<HTMLLIElement[]> {
    if (loading || finished) return [];
    return load(false);
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
      showError(null);
      await load(true);
    },
  };
}

export type VideoList = ReturnType<typeof createVideoList>;
