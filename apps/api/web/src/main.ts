// The dashboard's entry point: wires the controls to the view state, the state to the URL and
// the result list, follows the live stream of new videos for the list's scope, and starts the
// header status.
import { byId, el } from './element.js';
import { createLiveFeed } from './live-feed.js';
import { createNewVideosNotice } from './new-videos-notice.js';
import { refreshRelativeTimes } from './relative-time.js';
import { startStatusHeader } from './status-header.js';
import { createVideoList } from './video-list.js';
import {
  effectiveSort,
  isLanguageTag,
  isSearching,
  readState,
  sameState,
  stateSearch,
  withSort,
  type DurationBand,
  type LiveFilter,
  type Sort,
  type ViewState,
} from './view-state.js';

const SEARCH_DEBOUNCE_MS = 250;

const form = byId('filters', HTMLFormElement);
const search = byId('search', HTMLInputElement);
const sort = byId('sort', HTMLSelectElement);
const query = byId('query', HTMLSelectElement);
const from = byId('from', HTMLInputElement);
const to = byId('to', HTMLInputElement);
const duration = byId('duration', HTMLSelectElement);
const minViews = byId('min-views', HTMLSelectElement);
const liveState = byId('live-state', HTMLSelectElement);
const language = byId('language', HTMLInputElement);
const languageError = byId('language-error', HTMLElement);
const includeUnavailable = byId('include-unavailable', HTMLInputElement);
const channelChip = byId('channel-chip', HTMLElement);
const heading = byId('results-heading', HTMLHeadingElement);

let state: ViewState = readState(new URLSearchParams(location.search));
/** Names of channels seen on cards, for the chip's label. */
const channelTitles = new Map<string, string>();

const list = createVideoList(
  {
    list: byId('videos', HTMLOListElement),
    status: byId('results-status', HTMLElement),
    error: byId('results-error', HTMLElement),
    empty: byId('results-empty', HTMLElement),
    sentinel: byId('sentinel', HTMLElement),
    loadMore: byId('load-more', HTMLButtonElement),
  },
  {
    onChannel: (channelId, channelTitle) => {
      channelTitles.set(channelId, channelTitle);
      change({ ...state, channel: channelId }, { focusResults: true });
    },
    onFirstPage: (items) => {
      for (const video of items) channelTitles.set(video.channel_id, video.channel_title);
      renderChannelChip();
    },
    onWaiting: (video) => notice.add(video.video_id),
  },
);

const notice = createNewVideosNotice({
  region: byId('notice', HTMLElement),
  onShow: () => {
    window.scrollTo({ top: 0 });
    reload({ focusResults: true });
  },
});

// The list's scope is every video or the followed query selected; the other filters (channel,
// days) are applied to each new video in the page. Only the newest-first list without a details
// filter takes new videos in (view-state.ts followsLive); other views show them when read again.
const live = createLiveFeed({
  indicator: byId('live-status', HTMLElement),
  onVideo: (video) => list.arrive(video),
  onJoined: () => void list.catchUp(),
  onReset: () => reload(),
});

function ensureQueryOption(text: string): void {
  if (![...query.options].some((option) => option.value === text)) query.append(el('option', { value: text }, text));
}

const wholeNumber = new Intl.NumberFormat('en');

/** A minimum from a shared link that is none of the choices offered: offered too, as it is. */
function ensureMinViewsOption(value: number): void {
  const text = String(value);
  if (![...minViews.options].some((option) => option.value === text)) minViews.append(el('option', { value: text }, `${wholeNumber.format(value)}+ views`));
}

function renderChannelChip(): void {
  if (state.channel === undefined) return channelChip.replaceChildren();
  const name = channelTitles.get(state.channel) ?? state.channel;
  const remove = el('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove channel filter ${name}` }, '×');
  remove.addEventListener('click', () => {
    const { channel: _removed, ...rest } = state;
    change(rest, { focusResults: true });
  });
  channelChip.replaceChildren(el('span', { class: 'chip' }, el('span', { class: 'chip-label' }, 'Channel: ', el('strong', {}, name)), remove));
}

/** Puts the state into the controls (on start and on back/forward). */
function showState(): void {
  if (search.value.trim() !== state.q) search.value = state.q;
  const relevance = [...sort.options].find((option) => option.value === 'relevance');
  if (relevance !== undefined) {
    relevance.hidden = !isSearching(state);
    relevance.disabled = !isSearching(state);
  }
  sort.value = effectiveSort(state);
  if (state.query !== undefined) ensureQueryOption(state.query);
  query.value = state.query ?? '';
  from.value = state.from ?? '';
  to.value = state.to ?? '';
  duration.value = state.duration ?? '';
  if (state.minViews !== undefined) ensureMinViewsOption(state.minViews);
  minViews.value = state.minViews === undefined ? '' : String(state.minViews);
  liveState.value = state.live ?? '';
  // Text being typed that is not (yet) a language is left alone; an applied one shows as typed.
  if (state.language !== undefined || isLanguageTag(language.value.trim())) language.value = state.language ?? '';
  if (state.language !== undefined) showLanguageError(false);
  includeUnavailable.checked = state.includeUnavailable === true;
  renderChannelChip();
}

function showLanguageError(shown: boolean): void {
  languageError.textContent = shown ? 'Type a language code such as en or pt-BR.' : '';
  languageError.hidden = !shown;
  if (shown) language.setAttribute('aria-invalid', 'true');
  else language.removeAttribute('aria-invalid');
}

/**
 * The language the box holds: `undefined` when empty (no filter), `null` when it is no language
 * tag the API takes (nothing is asked for; said next to the box unless `quiet`).
 */
function typedLanguage(quiet: boolean): string | undefined | null {
  const text = language.value.trim();
  if (text === '') {
    showLanguageError(false);
    return undefined;
  }
  if (isLanguageTag(text)) {
    showLanguageError(false);
    return text;
  }
  if (!quiet) showLanguageError(true);
  return null;
}

function reload(options: { focusResults?: boolean } = {}): void {
  notice.clear();
  live.follow(state.query);
  void list.reload(state).then(() => {
    if (options.focusResults === true) heading.focus();
  });
}

/** Applies a new state: controls, URL (a history entry unless `replace`) and results. */
function change(next: ViewState, options: { replace?: boolean; focusResults?: boolean } = {}): void {
  if (sameState(next, state)) return;
  state = next;
  const url = `${location.pathname}${stateSearch(state, new URLSearchParams(location.search))}`;
  if (options.replace === true) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  showState();
  reload(options);
}

let debounce: ReturnType<typeof setTimeout> | undefined;
search.addEventListener('input', () => {
  clearTimeout(debounce);
  // Typing refines one search: it replaces the history entry rather than adding one per pause.
  debounce = setTimeout(() => change({ ...state, q: search.value.trim() }, { replace: true }), SEARCH_DEBOUNCE_MS);
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(debounce);
  clearTimeout(languageDebounce);
  const typed = typedLanguage(false);
  change({ ...state, q: search.value.trim(), ...(typed === null ? {} : { language: typed }) });
});
// Like the search box: applied once typing pauses (a half-typed tag such as "p" waits quietly),
// and when the box is left or Enter is pressed, which also says what is wrong with it.
let languageDebounce: ReturnType<typeof setTimeout> | undefined;
language.addEventListener('input', () => {
  clearTimeout(languageDebounce);
  languageDebounce = setTimeout(() => {
    const typed = typedLanguage(true);
    if (typed !== null) change({ ...state, language: typed }, { replace: true });
  }, SEARCH_DEBOUNCE_MS);
});
language.addEventListener('change', () => {
  clearTimeout(languageDebounce);
  const typed = typedLanguage(false);
  if (typed !== null) change({ ...state, language: typed });
});
includeUnavailable.addEventListener('change', () => change({ ...state, includeUnavailable: includeUnavailable.checked ? true : undefined }));
sort.addEventListener('change', () => change(withSort(state, sort.value as Sort)));
query.addEventListener('change', () => change({ ...state, query: query.value === '' ? undefined : query.value }));
// The selects offer only values readState accepts, so the casts hold.
duration.addEventListener('change', () => change({ ...state, duration: duration.value === '' ? undefined : (duration.value as DurationBand) }));
minViews.addEventListener('change', () => change({ ...state, minViews: minViews.value === '' ? undefined : Number(minViews.value) }));
liveState.addEventListener('change', () => change({ ...state, live: liveState.value === '' ? undefined : (liveState.value as LiveFilter) }));
for (const input of [from, to]) {
  input.addEventListener('change', () => {
    // A half-typed date reads as '' until complete; only whole dates (or clearing) change the view.
    if (input.value !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(input.value)) return;
    change({ ...state, from: from.value === '' ? undefined : from.value, to: to.value === '' ? undefined : to.value });
  });
}
window.addEventListener('popstate', () => {
  state = readState(new URLSearchParams(location.search));
  showState();
  reload();
});

startStatusHeader({ keys: byId('key-status', HTMLElement), queries: byId('query-status', HTMLElement) }, (queries) => {
  const texts = queries.map((q) => q.text);
  // Rebuilt only when the followed queries change, not under the user's hands every refresh.
  if (texts.join('\n') === [...query.options].slice(1).map((option) => option.value).join('\n')) return;
  const selected = query.value;
  query.replaceChildren(el('option', { value: '' }, 'All followed queries'), ...texts.map((text) => el('option', { value: text }, text)));
  if (selected !== '') ensureQueryOption(selected);
  query.value = selected;
});
setInterval(() => refreshRelativeTimes(document), 30_000);

showState();
reload();
