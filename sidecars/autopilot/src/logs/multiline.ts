// Multi-line events: a Java stack trace (or any indented continuation) belongs to the line that opened it,
// so an exception is one event with one template, not one per frame.

/** True when a line continues the event above it rather than starting a new one. */
export function isContinuation(line: string): boolean {
  if (line.length === 0) return false;
  const first = line.charCodeAt(0);
  if (first === 32 || first === 9) return true; // indented: `\tat com.x.Y.z(Y.java:10)`, wrapped text
  return CONTINUATION.test(line);
}

// Frames, causes, elisions, and the `pkg.SomeException: message` line a logger prints under its message.
const CONTINUATION =
  /^(?:at [\w$.<>]+\(|Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted)|(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|$))/;

/** Groups lines into events as they stream in: push returns an event once the next one starts. */
export class EventAssembler {
  private event: string[] | undefined;

  constructor(private readonly maxLines = 500) {}

  push(line: string): string[] | undefined {
    if (this.event && this.event.length < this.maxLines && isContinuation(line)) {
      this.event.push(line);
      return undefined;
    }
    const done = this.event;
    // A continuation with nothing above it (the window started mid-trace) is an event of its own.
    this.event = [line];
    return done;
  }

  /** The last event, at the end of the stream. */
  flush(): string[] | undefined {
    const done = this.event;
    this.event = undefined;
    return done;
  }
}

/** Groups lines into events: each event is its first line and the continuation lines under it. */
export function* groupEvents(lines: Iterable<string>, maxLines = 500): Generator<string[]> {
  const assembler = new EventAssembler(maxLines);
  for (const line of lines) {
    const event = assembler.push(line);
    if (event) yield event;
  }
  const last = assembler.flush();
  if (last) yield last;
}

/**
 * The text a multi-line event is mined by: its first line, then the exception class of each `Caused by:`
 * (frames and their line numbers vary between builds and would split one error into many templates).
 */
export function eventText(event: readonly string[]): string {
  let text = event[0] ?? '';
  for (let i = 1; i < event.length; i++) {
    const cause = /^\s*(?:Caused by: )?((?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable))(?::|$)/.exec(
      event[i]!,
    );
    if (cause) text += ` ${cause[1]}`;
  }
  return text;
}
