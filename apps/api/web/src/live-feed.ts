// Live updates: an EventSource on /videos/stream for the feed the dashboard shows (every video,
// or the followed query selected), and the small indicator that says whether it is connected.
//
// EventSource reconnects by itself after a dropped connection, sending Last-Event-ID, and the
// server replays what was missed. When the server refuses the stream outright (an error status:
// EventSource then gives up for good) it is reopened here after a growing delay, resuming from
// the last event's id through the `lastEventId` parameter. Positions belong to one feed, so a
// change of scope starts over without one.
import type { Video } from './api-client.js';
import { el } from './element.js';

export type LiveState = 'connecting' | 'connected' | 'reconnecting';

export interface LiveFeedOptions {
  /** Where the connection state is shown. */
  readonly indicator: HTMLElement;
  /** A video newly stored in the feed followed. */
  readonly onVideo: (video: Video) => void;
  /**
   * The stream joined the feed at its end (no position to resume from): a video stored after
   * the listing was read but before this may be in neither.
   */
  readonly onJoined: () => void;
  /** Events were missed and are no longer kept: the listing must be read again. */
  readonly onReset: () => void;
}

const REOPEN_FIRST_MS = 2_000;
const REOPEN_MAX_MS = 60_000;

const LABELS: Record<LiveState, { text: string; dot: string; title: string }> = {
  connecting: { text: 'Connecting…', dot: 'dot--warn', title: 'Connecting to the live feed' },
  connected: { text: 'Live', dot: 'dot--ok', title: 'New videos appear here as they are found' },
  reconnecting: { text: 'Reconnecting…', dot: 'dot--warn', title: 'The live feed was interrupted; nothing is lost while it reconnects' },
};

function parseVideo(data: string): Video | null {
  try {
    const value = JSON.parse(data) as Partial<Video> | null;
    return typeof value?.video_id === 'string' && typeof value.published_at === 'string' ? (value as Video) : null;
  } catch {
    // Not a video: nothing to show. The stream carries on with the next event.
    return null;
  }
}

export function createLiveFeed({ indicator, onVideo, onJoined, onReset }: LiveFeedOptions) {
  let source: EventSource | null = null;
  /** The followed query's text, `undefined` for every video; `null` before the first follow. */
  let scope: string | undefined | null = null;
  let lastId: string | null = null;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;
  let reopenDelay = REOPEN_FIRST_MS;

  function show(state: LiveState): void {
    if (indicator.dataset.state === state) return;
    const label = LABELS[state];
    indicator.dataset.state = state;
    indicator.title = label.title;
    indicator.replaceChildren(el('span', { class: `dot ${label.dot}`, 'aria-hidden': 'true' }), label.text);
  }

  function close(): void {
    clearTimeout(reopenTimer);
    reopenTimer = undefined;
    source?.close();
    source = null;
  }

  function open(): void {
    close();
    if (scope === null) return;
    const params = new URLSearchParams();
    if (scope !== undefined) params.set('query', scope);
    if (lastId !== null) params.set('lastEventId', lastId);
    const query = params.toString();
    const stream = new EventSource(query === '' ? '/videos/stream' : `/videos/stream?${query}`);
    source = stream;
    const position = (event: MessageEvent<string>) => {
      if (event.lastEventId !== '') lastId = event.lastEventId;
    };
    stream.addEventListener('open', () => {
      reopenDelay = REOPEN_FIRST_MS;
      show('connected');
    });
    stream.addEventListener('ready', (event: MessageEvent<string>) => {
      position(event);
      onJoined();
    });
    stream.addEventListener('video', (event: MessageEvent<string>) => {
      position(event);
      const video = parseVideo(event.data);
      if (video !== null) onVideo(video);
    });
    stream.addEventListener('reset', (event: MessageEvent<string>) => {
      position(event);
      onReset();
    });
    stream.addEventListener('error', () => {
      show('reconnecting');
      if (stream.readyState !== EventSource.CLOSED || source !== stream) return;
      // Refused (an error status, or not an event stream): EventSource will not try again.
      source = null;
      reopenTimer = setTimeout(() => {
        reopenTimer = undefined;
        open();
      }, reopenDelay);
      reopenDelay = Math.min(reopenDelay * 2, REOPEN_MAX_MS);
    });
  }

  // Leaving the page ends the stream cleanly; coming back to it (the back-forward cache) resumes.
  window.addEventListener('pagehide', close);
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    show('connecting');
    open();
  });

  return {
    /** Follows every video (`undefined`) or a followed query's; reopens only when that changes. */
    follow(query: string | undefined): void {
      if (scope === query && (source !== null || reopenTimer !== undefined)) return;
      if (scope !== query) lastId = null;
      scope = query;
      show('connecting');
      reopenDelay = REOPEN_FIRST_MS;
      open();
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
