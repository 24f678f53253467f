import {
  formatNyTime,
  type NyseCalendar,
  nyDateOf,
  type ReplayScope,
  type ReplayWindow,
} from '@sys/market-time';

/**
 * Answers "is this instant inside a replayed session?" for bars that come roughly in time order: one
 * calendar lookup per session window, not per bar.
 */
export class ScopeFilter {
  readonly #windows: (fromMs: number) => ReplayWindow | null;
  #fromMs = Number.NaN;
  #window: ReplayWindow | null = null;

  constructor(calendar: NyseCalendar, scope: ReplayScope) {
    this.#windows = calendar.replayWindows(scope);
  }

  /** True when `ms` lies in a session window of the scope. */
  contains(ms: number): boolean {
    let w = this.#window;
    if (!(ms >= this.#fromMs && (w === null || ms < w.endMs))) {
      w = this.#windows(ms);
      this.#fromMs = ms;
      this.#window = w;
    }
    return w !== null && ms >= w.startMs && ms < w.endMs;
  }
}

/** `YYYY-MM-DD HH:MM:SS` in New York, or null. */
export function nyStamp(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  return `${nyDateOf(ms)} ${formatNyTime(ms)}`;
}
