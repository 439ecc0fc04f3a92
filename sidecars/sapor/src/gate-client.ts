// Reads executions from Gate (`GET /pipelines/{id}`), the record a runtime policy is evaluated against.
import { InputError, OutboundError, UnavailableError, outboundRequest, type OutboundResponse } from '@isd/kit';

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
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.username && this.options.password) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    }
    let response: OutboundResponse;
    try {
      response = await outboundRequest({
        base: this.options.url,
        path: `pipelines/${encodeURIComponent(executionId)}`,
        headers,
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: this.options.maxResponseBytes,
      });
    } catch (error) {
      if (error instanceof OutboundError && error.code === 'too_large')
        throw new UnavailableError(
          `Gate's execution ${executionId} is larger than ${this.options.maxResponseBytes} bytes`,
        );
      if (error instanceof OutboundError && (error.code === 'outside_base' || error.code === 'invalid_url'))
        throw new InputError(`execution id ${JSON.stringify(executionId)} is not usable: ${error.message}`, {
          code: 'execution_id_invalid',
        });
      throw new UnavailableError(
        `Gate is unreachable when fetching execution ${executionId}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (response.status < 200 || response.status > 299)
      throw new UnavailableError(`Gate answered ${response.status} for execution ${executionId}`);
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new UnavailableError(`Gate answered execution ${executionId} with a body that is not JSON`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new UnavailableError(`Gate answered execution ${executionId} with a non-object`);
    return body as Record<string, unknown>;
  }
}
