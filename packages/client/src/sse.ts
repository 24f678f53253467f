/** One Server-Sent Event: its type (`message` when the stream named none), data and id. */
export interface SseEvent {
  readonly type: string;
  readonly data: string;
  readonly id: string | undefined;
}

/**
 * An incremental parser of the text/event-stream format (the HTML standard's "Server-sent events",
 * "Interpreting an event stream"): feed it decoded text in any chunks, it calls `onEvent` per event.
 * Lines end with CRLF, LF or CR; `:` lines are comments (heartbeats); a blank line dispatches.
 */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  #buffer = '';
  #data = '';
  #hasData = false;
  #type = '';
  #id: string | undefined;
  /** The last chunk ended in CR: a LF starting the next one belongs to the same line end. */
  #pendingCr = false;

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Feeds decoded text. */
  push(chunk: string): void {
    let text = chunk;
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    let start = 0;
    const buffered = this.#buffer + text;
    const offset = this.#buffer.length;
    // Scan only the new text for line ends: the buffer holds no complete line.
    for (let i = offset; i < buffered.length; i++) {
      const c = buffered.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(buffered.slice(start, i));
      if (c === 13) {
        if (i + 1 === buffered.length) this.#pendingCr = true;
        else if (buffered.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.#buffer = buffered.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#hasData) {
        this.#onEvent({ type: this.#type === '' ? 'message' : this.#type, data: this.#data, id: this.#id });
      }
      this.#data = '';
      this.#hasData = false;
      this.#type = '';
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      // `retry` is ignored: the client schedules its own reconnects (backoff with jitter).
    }
  }
}
