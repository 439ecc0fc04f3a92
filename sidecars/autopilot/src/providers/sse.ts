// Server-sent events as the WHATWG HTML spec defines the text/event-stream format: `event:` names the
// event, `data:` lines are joined with newlines, a blank line dispatches, `:` lines are comments.

/** One dispatched event. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** Parses a complete event stream (the SignalFlow execute endpoint ends its stream with the computation). */
export function parseEventStream(text: string): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  let event = '';
  let data: string[] = [];
  const dispatch = () => {
    if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') });
    event = '';
    data = [];
  };
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    if (line === '') {
      dispatch();
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  dispatch();
  return events;
}
