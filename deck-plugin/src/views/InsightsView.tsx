// The application's Insights view: the DORA measures and the gates' numbers over time. Sapor answers a
// range at a time (`/api/v1/insights/dora`, `/api/v1/insights/gates`), so the view asks once per bucket
// of the chosen period, a few requests at a time, and charts the buckets.
import React from 'react';

import { useSidecarClient } from '../api/client-context';
import type { SidecarClient } from '../api/sidecar-client';
import type { DoraGroup, GateInsights, InsightsFreshness } from '../api/sidecar-shapes';
import { chartColors, LineChart } from '../common/charts';
import type { ChartSeries } from '../common/charts';
import { ErrorNotice } from '../common/components';
import { formatTime } from '../stages/approval/ApprovalParts';

const DAY_MS = 86_400_000;

/** The periods offered: how many buckets of how many days, ending now. */
export const insightPeriods = [
  { value: '30d', label: 'Last 30 days, by day', buckets: 30, days: 1 },
  { value: '12w', label: 'Last 12 weeks, by week', buckets: 12, days: 7 },
  { value: '12m', label: 'Last 12 months, by 30 days', buckets: 12, days: 30 },
] as const;

/** Requests in flight at once (each bucket is two requests). */
const CONCURRENCY = 4;

/** One bucket's numbers. */
export interface InsightsBucket {
  from: number;
  to: number;
  dora: DoraGroup | undefined;
  gates: GateInsights | undefined;
}

/** Props of InsightsView; Deck passes the application of its application states. */
export interface InsightsViewProps {
  app: { name: string };
  /** The end of the last bucket (now, unless a test fixes it). */
  now?: () => number;
}

type LoadState =
  | { state: 'loading'; done: number; total: number }
  | { state: 'loaded'; buckets: InsightsBucket[]; freshness: InsightsFreshness | undefined }
  | { state: 'failed'; error: string };

/** Deck application view of delivery insights. */
export function InsightsView(props: InsightsViewProps) {
  const client = useSidecarClient();
  const [periodValue, setPeriodValue] = React.useState<(typeof insightPeriods)[number]['value']>('12w');
  const [attempt, setAttempt] = React.useState(0);
  const period = insightPeriods.find((candidate) => candidate.value === periodValue) ?? insightPeriods[1];
  const [load, setLoad] = React.useState<LoadState>({ state: 'loading', done: 0, total: period.buckets });

  React.useEffect(() => {
    let active = true;
    const end = props.now?.() ?? Date.now();
    setLoad({ state: 'loading', done: 0, total: period.buckets });
    loadBuckets(client, props.app.name, end, period.buckets, period.days, (done) => {
      if (active) setLoad({ state: 'loading', done, total: period.buckets });
    }).then(
      (result) => active && setLoad({ state: 'loaded', ...result }),
      (error: unknown) =>
        active && setLoad({ state: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      active = false;
    };
  }, [props.app.name, periodValue, attempt]);

  return (
    <div className="isd-insights-view container-fluid">
      <h3>Insights</h3>
      <form className="form-inline isd-filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Period{' '}
          <select
            className="form-control input-sm"
            aria-label="Period"
            value={periodValue}
            onChange={(event) => setPeriodValue(event.target.value as typeof periodValue)}
          >
            {insightPeriods.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="button" className="btn btn-sm btn-default" onClick={() => setAttempt((n) => n + 1)}>
          Refresh
        </button>
      </form>
      {load.state === 'loading' && (
        <p className="isd-loading">
          Loading insights from sapor… ({load.done} of {load.total})
        </p>
      )}
      {load.state === 'failed' && <ErrorNotice title="Could not load insights:" message={load.error} />}
      {load.state === 'loaded' && <InsightCharts buckets={load.buckets} freshness={load.freshness} />}
    </div>
  );
}

/** Asks sapor for each bucket's DORA and gate numbers, `CONCURRENCY` requests at a time. */
export async function loadBuckets(
  client: SidecarClient,
  application: string,
  end: number,
  count: number,
  days: number,
  progress: (done: number) => void,
): Promise<{ buckets: InsightsBucket[]; freshness: InsightsFreshness | undefined }> {
  const ranges = Array.from({ length: count }, (_, index) => {
    const to = end - (count - 1 - index) * days * DAY_MS;
    return { from: to - days * DAY_MS, to };
  });
  const buckets: InsightsBucket[] = new Array(count);
  let freshness: InsightsFreshness | undefined;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const index = next++;
      const range = ranges[index]!;
      const query = { application, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() };
      const [dora, gates] = await Promise.all([client.doraInsights(query), client.gateInsights(query)]);
      const name = application.toLowerCase();
      buckets[index] = {
        ...range,
        dora: dora.groups.find((group) => group.application.toLowerCase() === name),
        gates: gates.applications.find((entry) => entry.application.toLowerCase() === name),
      };
      // The newest bucket's freshness is the sync's state now.
      if (index === count - 1) freshness = dora.freshness;
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return { buckets, freshness };
}

const HOUR_MS = 3_600_000;

function InsightCharts(props: { buckets: InsightsBucket[]; freshness: InsightsFreshness | undefined }) {
  const { buckets, freshness } = props;
  const anything = buckets.some((bucket) => bucket.dora || bucket.gates);
  const line = (name: string, color: string, value: (bucket: InsightsBucket) => number | null | undefined) => ({
    name,
    color,
    points: buckets.map((bucket) => ({ x: bucket.to, y: value(bucket) ?? null })),
  });
  const xDomain: [number, number] = [buckets[0]?.to ?? 0, buckets.at(-1)?.to ?? 0];
  const chart = (
    title: string,
    yLabel: string,
    series: ChartSeries[],
    unit?: string,
    yDomain?: [number, number],
    yInteger = false,
  ) => (
    <div className="col-md-6">
      <LineChart
        title={title}
        series={series}
        xKind="time"
        xLabel="Bucket end (UTC)"
        yLabel={yLabel}
        unit={unit}
        yFromZero
        yDomain={yDomain}
        xDomain={xDomain}
        yInteger={yInteger}
        width={520}
        height={200}
      />
    </div>
  );
  const hours = (ms: number | null | undefined) => (typeof ms === 'number' ? ms / HOUR_MS : null);
  const [blue, orange, green, pink, red] = chartColors as [string, string, string, string, string];
  return (
    <div className="isd-insight-charts">
      {freshness && (
        <p className={freshness.stale ? 'alert alert-warning isd-freshness' : 'text-muted isd-freshness'}>
          {freshness.stale ? 'Deployment data may be out of date: ' : ''}
          last synced from Spinnaker {freshness.lastSuccessAt ? formatTime(freshness.lastSuccessAt) : 'never'}
          {freshness.lastError ? ` (last error: ${freshness.lastError})` : ''}
        </p>
      )}
      {!anything && <p className="isd-empty">No deployments or gate decisions in this period.</p>}
      <h4>Delivery (DORA)</h4>
      <div className="row">
        {chart(
          'Deployments',
          'Deployments',
          [
            line('successful', green, (bucket) => bucket.dora?.deployments.successful ?? 0),
            line('failed', red, (bucket) => bucket.dora?.deployments.failed ?? 0),
          ],
          undefined,
          undefined,
          true,
        )}
        {chart(
          'Lead time for changes',
          'Lead time',
          [
            line('median', blue, (bucket) => hours(bucket.dora?.leadTimeMs.median)),
            line('p90', orange, (bucket) => hours(bucket.dora?.leadTimeMs.p90)),
          ],
          'h',
        )}
        {chart(
          'Change failure rate',
          'Failed deployments',
          [
            line('rate', red, (bucket) =>
              typeof bucket.dora?.changeFailureRate === 'number' ? bucket.dora.changeFailureRate * 100 : null,
            ),
          ],
          '%',
          [0, 100],
        )}
        {chart(
          'Time to restore',
          'Time to restore',
          [line('median', pink, (bucket) => hours(bucket.dora?.timeToRestoreMs.median))],
          'h',
        )}
      </div>
      <h4>Gates</h4>
      <div className="row">
        {chart(
          'Gate decisions',
          'Decisions',
          [
            line('approvals approved', green, (bucket) => bucket.gates?.decisions['approval']?.['approved'] ?? 0),
            line('approvals rejected', red, (bucket) => bucket.gates?.decisions['approval']?.['rejected'] ?? 0),
            line('policy denials', pink, (bucket) => bucket.gates?.policyDenials ?? 0),
            line('verifications failed', orange, (bucket) => bucket.gates?.decisions['verification']?.['fail'] ?? 0),
          ],
          undefined,
          undefined,
          true,
        )}
        {chart(
          'Approval wait',
          'Wait',
          [
            line('median', blue, (bucket) => minutes(bucket.gates?.approvalWaitMs.median)),
            line('p90', orange, (bucket) => minutes(bucket.gates?.approvalWaitMs.p90)),
          ],
          'min',
        )}
        {chart(
          'Verification score',
          'Mean score',
          [line('mean', blue, (bucket) => bucket.gates?.verificationScore.mean)],
          undefined,
          [0, 100],
        )}
      </div>
    </div>
  );
}

function minutes(ms: number | null | undefined): number | null {
  return typeof ms === 'number' ? ms / 60_000 : null;
}
