// Multi-line events: a Java stack trace, a Python traceback (or any indented continuation) belongs to the line
// that opened it, so an exception is one event with one template, not one per frame.

/** True when a line continues the event above it rather than starting a new one. */
export function isContinuation(line: string): boolean {
  if (line.length === 0) return false;
  const first = line.charCodeAt(0);
  if (first === 32 || first === 9) return true; // indented: `\tat com.x.Y.z(Y.java:10)`, wrapped text
  return CONTINUATION.test(line);
}

// Frames, causes, elisions, and the `pkg.SomeException: message` line a logger prints under its message;
// Python's traceback header and the lines that chain one traceback to another.
const CONTINUATION =
  /^(?:at [\w$.<>]+\(|Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted)|(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|$)|Traceback \(most recent call last\):$|During handling of the above exception, another exception occurred:$|The above exception was the direct cause of the following exception:$)/;

const TRACEBACK = 'Traceback (most recent call last):';
// The line that ends a Python traceback: the exception, `ValueError: …`, `KeyError: 'x'`, `StopIteration`.
const PYTHON_EXCEPTION = /^([A-Za-z_][\w.]*)(?::|$)/;

/** Groups lines into events as they stream in: push returns an event once the next one starts. */
export class EventAssembler {
  private event: string[] | undefined;
  private eventTimeMs: number | undefined;
  private returnedTimeMs: number | undefined;
  /** The event's last line that is not indented opened a Python traceback: its exception line belongs to it. */
  private inTraceback = false;

  constructor(private readonly maxLines = 500) {}

  /** The time given with the first line of the event the last push() or flush() returned. */
  get doneTimeMs(): number | undefined {
    return this.returnedTimeMs;
  }

  /** `timeMs`, when the line's source gives one, becomes the time of the event the line starts. */
  push(line: string, timeMs?: number): string[] | undefined {
    const indented = line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9;
    if (
      this.event &&
      this.event.length < this.maxLines &&
      (isContinuation(line) || (this.inTraceback && PYTHON_EXCEPTION.test(line)))
    ) {
      this.event.push(line);
      if (!indented) this.inTraceback = line === TRACEBACK;
      return undefined;
    }
    const done = this.event;
    this.returnedTimeMs = this.eventTimeMs;
    // A continuation with nothing above it (the window started mid-trace) is an event of its own.
    this.event = [line];
    this.eventTimeMs = timeMs;
    this.inTraceback = line === TRACEBACK;
    return done;
  }

  /** The last event, at the end of the stream. */
  flush(): string[] | undefined {
    const done = this.event;
    this.returnedTimeMs = this.eventTimeMs;
    this.event = undefined;
    this.eventTimeMs = undefined;
    this.inTraceback = false;
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
 * The text a multi-line event is mined by: its first line (or `head`, what was read from it), then the
 * exception class of each `Caused by:` (frames and their line numbers vary between builds and would split one
 * error into many templates).
 */
export function eventText(event: readonly string[], head = event[0] ?? ''): string {
  let text = head;
  for (let i = 1; i < event.length; i++) {
    const cause =
      /^\s*(?:Caused by: )?((?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable))(?::|$)/.exec(event[i]!) ??
      // The exception at the end of a Python traceback, dotted or not.
      (event[i - 1]!.charCodeAt(0) === 32 && event.lastIndexOf(TRACEBACK, i) > 0
        ? PYTHON_EXCEPTION.exec(event[i]!)
        : null);
    if (cause) text += ` ${cause[1]}`;
  }
  return text;
}
