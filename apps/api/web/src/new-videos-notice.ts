// "N new videos – show": new videos that arrived on the live stream while the reader is past the
// first page, where slotting them in at the top would move the rows under them. The button
// takes the reader back to the first page, which then holds them.
import { el } from './element.js';

export interface NewVideosNoticeOptions {
  /** The aria-live region the notice appears in. */
  readonly region: HTMLElement;
  /** Called when the reader asks to see the new videos. */
  readonly onShow: () => void;
}

export function createNewVideosNotice({ region, onShow }: NewVideosNoticeOptions) {
  const waiting = new Set<string>();
  // One button, relabelled as videos arrive: keyboard focus on it survives a new arrival.
  const button = el('button', { type: 'button', class: 'notice' });
  button.addEventListener('click', onShow);

  function render(): void {
    if (waiting.size === 0) return region.replaceChildren();
    button.textContent = `${waiting.size} new ${waiting.size === 1 ? 'video' : 'videos'} – show`;
    if (button.parentElement !== region) region.replaceChildren(button);
  }

  return {
    /** A new video waits above the rows shown (counted once, however often it is reported). */
    add(videoId: string): void {
      if (waiting.has(videoId)) return;
      waiting.add(videoId);
      render();
    },
    /** The list was (re)loaded from its first page: nothing waits any more. */
    clear(): void {
      waiting.clear();
      render();
    },
  };
}
