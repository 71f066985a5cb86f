// A server-sent events reader over fetch: EventSource cannot send the Authorization and Queue-Token headers.
// Follows the WHATWG event-stream rules that matter here: lines end in CRLF, LF or CR; `:` starts a comment;
// `data` lines join with LF; a blank line dispatches; an event without `event:` is called "message".

/**
 * Reads `body` (a ReadableStream of bytes) and calls `onEvent({ event, data, id })` per event.
 * Resolves when the stream ends; rejects if reading fails.
 */
export async function readEventStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createParser(onEvent);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
}

export function createParser(onEvent) {
  let buffer = '';
  let event = '';
  let data = [];
  let id = null;

  function line(text) {
    if (text === '') {
      if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }

  return {
    push(chunk) {
      buffer += chunk;
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/);
        if (end < 0) return;
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next one.
        if (buffer[end] === '\r' && end === buffer.length - 1) return;
        const width = buffer.startsWith('\r\n', end) ? 2 : 1;
        line(buffer.slice(0, end));
        buffer = buffer.slice(end + width);
      }
    },
    /** The stream ended: a CR held back above was a line end after all. */
    end() {
      if (buffer.endsWith('\r')) line(buffer.slice(0, -1));
      buffer = '';
    },
  };
}
