// Reads executions from Gate (`GET /pipelines/{id}`), the record a runtime policy is evaluated against.
import { UnavailableError } from '@isd/kit';

/** Where and how to reach Gate. */
export interface GateClientOptions {
  url: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** Fetches one execution; errors say what went wrong so a denying gate can show it. */
export class GateClient {
  constructor(private readonly options: GateClientOptions) {}

  async execution(executionId: string): Promise<Record<string, unknown>> {
    const url = `${this.options.url.replace(/\/+$/, '')}/pipelines/${encodeURIComponent(executionId)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.username && this.options.password) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new UnavailableError(
        `Gate is unreachable when fetching execution ${executionId}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > this.options.maxResponseBytes) {
      await response.body?.cancel();
      throw new UnavailableError(
        `Gate's execution ${executionId} is larger than ${this.options.maxResponseBytes} bytes`,
      );
    }
    const text = await response.text();
    if (!response.ok) throw new UnavailableError(`Gate answered ${response.status} for execution ${executionId}`);
    if (text.length > this.options.maxResponseBytes)
      throw new UnavailableError(
        `Gate's execution ${executionId} is larger than ${this.options.maxResponseBytes} bytes`,
      );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UnavailableError(`Gate answered execution ${executionId} with a body that is not JSON`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new UnavailableError(`Gate answered execution ${executionId} with a non-object`);
    return body as Record<string, unknown>;
  }
}
