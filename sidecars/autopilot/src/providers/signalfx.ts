// Splunk Observability Cloud (SignalFx): the SignalFlow execute endpoint (`POST /v2/signalflow/execute`,
// `X-SF-TOKEN`, the program as the body; start/stop/resolution in ms, immediate so the computation ends
// at `stop`). The answer is an event stream: `metadata` events name each time series (tsId → properties),
// `data` events carry one value per tsId per logical timestamp, `error` events and error control messages
// say what went wrong.
import { parsePeerJson } from '@isd/kit';
import { excerpt, providerRequest, type TlsOptions } from './http-client';
import {
  ProviderError,
  alignToGrid,
  stepGrid,
  unusableSeries,
  type FetchWindow,
  type FetchedSeries,
  type MetricsProvider,
  queryRefusal,
} from './provider';
import { parseEventStream } from './sse';

/** Settings of one SignalFx realm account. */
export interface SignalFxSettings {
  /** Stream API of the realm, e.g. https://stream.us1.signalfx.com. */
  url: string;
  accessToken: string;
  tls?: TlsOptions;
  timeoutMs: number;
}

interface Series {
  properties: Record<string, string>;
  points: Array<[number, number]>;
}

/** Creates a SignalFx provider. */
export function createSignalFxProvider(name: string, settings: SignalFxSettings): MetricsProvider {
  const base = new URL(settings.url.endsWith('/') ? settings.url : `${settings.url}/`);

  async function execute(program: string, startMs: number, stopMs: number, resolutionMs: number): Promise<Series[]> {
    const response = await providerRequest(name, {
      method: 'POST',
      base: base.href,
      path: 'v2/signalflow/execute',
      query: {
        start: String(Math.floor(startMs)),
        stop: String(Math.ceil(stopMs)),
        resolution: String(resolutionMs),
        maxDelay: '0',
        immediate: 'true',
      },
      headers: { 'X-SF-TOKEN': settings.accessToken, 'content-type': 'text/plain', accept: 'text/event-stream' },
      body: program,
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
    });
    if (response.status !== 200) {
      const body = (response.json ?? {}) as { message?: string; errors?: Array<{ message?: string }> };
      const message = body.message ?? body.errors?.map((e) => e.message).join('; ') ?? excerpt(response.text);
      if (response.status === 400)
        throw new ProviderError(name, 'query', `${name} refused the program ${program}: ${message}`);
      throw new ProviderError(name, 'unavailable', `${name}: HTTP ${response.status} from ${base.host}: ${message}`);
    }
    const byId = new Map<string, Series>();
    const seriesOf = (tsId: string) => {
      let series = byId.get(tsId);
      if (!series) byId.set(tsId, (series = { properties: {}, points: [] }));
      return series;
    };
    for (const event of parseEventStream(response.text)) {
      let payload: Record<string, unknown>;
      try {
        payload = parsePeerJson(event.data) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (event.event === 'metadata' && typeof payload.tsId === 'string') {
        const properties = (payload.properties ?? {}) as Record<string, unknown>;
        seriesOf(payload.tsId).properties = Object.fromEntries(
          Object.entries(properties)
            .filter(([key, value]) => typeof value === 'string' && key !== 'sf_key' && key !== 'sf_resolutionMs')
            .map(([key, value]) => [key, value as string]),
        );
      } else if (event.event === 'data' && Array.isArray(payload.data)) {
        const at = Number(payload.logicalTimestampMs);
        for (const entry of payload.data as Array<{ tsId?: string; value?: number | null }>) {
          if (typeof entry.tsId === 'string' && typeof entry.value === 'number')
            seriesOf(entry.tsId).points.push([at, entry.value]);
        }
      } else if (event.event === 'error' || (event.event === 'control-message' && payload.event === 'JOB_FAILED')) {
        const errors = Array.isArray(payload.errors)
          ? (payload.errors as Array<{ message?: string; code?: string }>)
          : [];
        const message =
          errors.map((e) => e.message ?? e.code ?? '?').join('; ') ||
          String(payload.message ?? payload.error ?? 'error');
        throw new ProviderError(name, 'query', `${name} refused the program ${program}: ${message}`);
      }
    }
    return [...byId.values()];
  }

  return {
    name,
    type: 'signalfx',
    renderScope(scope) {
      // For `data('m', filter=${scope})`: SignalFlow string literals escape `\` and `'` with a backslash.
      const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      return Object.entries(scope)
        .map(([key, value]) => `filter(${literal(key)}, ${literal(value)})`)
        .join(' and ');
    },
    async fetch(program: string, window: FetchWindow): Promise<FetchedSeries> {
      const grid = stepGrid(window);
      const series = (await execute(program, window.startMs, window.endMs, window.stepSeconds * 1000)).filter(
        (s) => s.points.length > 0,
      );
      const range = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
      if (series.length === 0) return unusableSeries(program, grid, 0, [`no data for ${program} ${range}`]);
      if (series.length > 1) {
        const labels = series.slice(0, 3).map((s) => JSON.stringify(s.properties));
        return unusableSeries(program, grid, series.length, [
          `${program} published ${series.length} time series (${labels.join(', ')}); aggregate them to one (e.g. .mean() without by=)`,
        ]);
      }
      const only = series[0]!;
      return {
        query: program,
        timestampsMs: grid,
        values: alignToGrid(grid, window.stepSeconds, only.points),
        labels: only.properties,
        seriesCount: 1,
        problems: [],
      };
    },
    async checkQuery(program: string): Promise<string | null> {
      const now = Date.now();
      return queryRefusal(() => execute(program, now - 300_000, now, 60_000));
    },
  };
}
