// Small SVG line charts with axes for the ISD views (docs/decisions/088-own-svg-charts.md): a chart
// library would cost more of the 300 KB bundle than the few chart kinds the views draw.
import React from 'react';

/** One line: points with null values drawn as gaps. */
export interface ChartSeries {
  name: string;
  color: string;
  points: Array<{ x: number; y: number | null }>;
  dashed?: boolean;
}

/** A horizontal reference line (a threshold). */
export interface ChartRule {
  value: number;
  label: string;
  color: string;
}

/** Props of LineChart. */
export interface LineChartProps {
  title: string;
  series: ChartSeries[];
  /** `time`: x values are epoch milliseconds; `number`: plain numbers (interval index…). */
  xKind: 'time' | 'number';
  xLabel: string;
  yLabel: string;
  /** Unit of the y values, shown on the axis label and in point titles. */
  unit?: string;
  /** Fixed y range (scores 0–100); otherwise from the data (rounded out to ticks), including 0 when `yFromZero`. */
  yDomain?: [number, number];
  /** Fixed x range (a period the points fall in); otherwise from the data. */
  xDomain?: [number, number];
  /** Counts: only whole-number y ticks. */
  yInteger?: boolean;
  yFromZero?: boolean;
  rules?: ChartRule[];
  width?: number;
  height?: number;
}

/** Colours that stay apart for the usual colour-vision deficiencies (Okabe–Ito). */
export const chartColors = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#999999'];

const margin = { top: 12, right: 16, bottom: 44, left: 64 };
const MAX_MARKED_POINTS = 80;

/** Evenly spaced round tick values covering [min, max] (about `count` of them). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough)!;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const timeSteps = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  365 * DAY,
];

/** Tick instants on whole seconds, minutes, hours or days (UTC, as the views show times) covering [min, max]. */
export function timeTicks(min: number, max: number, count = 5): { ticks: number[]; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min === max) return { ticks: [min], step: DAY };
  const step = timeSteps.find((candidate) => candidate >= (max - min) / count) ?? 365 * DAY;
  // Day steps start at midnight UTC; shorter steps at a multiple of the step since the epoch.
  const start = step >= DAY ? Math.floor(min / DAY) * DAY : Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let tick = start; tick <= max; tick += step) if (tick >= min) ticks.push(tick);
  return { ticks, step };
}

/** A UTC time tick label: clock time for steps under a day, else the date. */
export function formatTimeTick(ms: number, step: number): string {
  const iso = new Date(ms).toISOString();
  if (step < MINUTE) return iso.slice(11, 19);
  if (step < DAY) return iso.slice(11, 16);
  return iso.slice(0, 10);
}

/** A value with at most 3 significant digits, and k/M for large ones. */
export function formatValue(value: number): string {
  const size = Math.abs(value);
  if (size >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (size >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  if (size === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

/** Widens [min, max] to the nearest ticks outside it, so the highest point is under a labelled line. */
function roundOut(min: number, max: number, integer = false): [number, number] {
  const ticks = niceTicks(min, max);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const unit = integer ? Math.max(1, Math.ceil(step)) : step;
  return [Math.floor(min / unit) * unit, Math.ceil(max / unit) * unit];
}

/** A line chart with labelled axes, a legend and optional threshold rules; empty data says so. */
export function LineChart(props: LineChartProps) {
  const width = props.width ?? 640;
  const height = props.height ?? 220;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const defined = props.series.flatMap((series) =>
    series.points.filter((point): point is { x: number; y: number } => point.y !== null && Number.isFinite(point.y)),
  );
  const unit = props.unit ? ` (${props.unit})` : '';
  if (defined.length === 0) {
    return (
      <figure className="isd-chart isd-chart-empty">
        <figcaption>{props.title}</figcaption>
        <p className="isd-empty">No data to chart.</p>
      </figure>
    );
  }
  const xs = defined.map((point) => point.x);
  let [xMin, xMax] = props.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  // One instant: a day around it (time) or one unit either side, so the point sits between labelled ticks.
  if (xMin === xMax) [xMin, xMax] = props.xKind === 'time' ? [xMin - DAY / 2, xMax + DAY / 2] : [xMin - 1, xMax + 1];
  const ys = [...defined.map((point) => point.y), ...(props.rules ?? []).map((rule) => rule.value)];
  let [yMin, yMax] = props.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  if (!props.yDomain && props.yFromZero) [yMin, yMax] = [Math.min(0, yMin), Math.max(0, yMax)];
  if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
  if (!props.yDomain) [yMin, yMax] = roundOut(yMin, yMax, props.yInteger);
  const yTicks = niceTicks(yMin, yMax).filter((tick) => !props.yInteger || Number.isInteger(tick));
  const x = (value: number) => margin.left + ((value - xMin) / (xMax - xMin)) * plotWidth;
  const y = (value: number) => margin.top + plotHeight - ((value - yMin) / (yMax - yMin)) * plotHeight;
  const xTime = props.xKind === 'time' ? timeTicks(xMin, xMax) : undefined;
  const xTicks = xTime
    ? xTime.ticks
    : niceTicks(xMin, xMax).filter((tick) => props.xKind !== 'number' || tick % 1 === 0);
  const xText = (value: number) => (xTime ? formatTimeTick(value, xTime.step) : formatValue(value));
  const pointTitle = (series: ChartSeries, point: { x: number; y: number }) =>
    `${series.name}: ${formatValue(point.y)}${props.unit ? ` ${props.unit}` : ''} at ${
      props.xKind === 'time'
        ? `${new Date(point.x).toISOString().slice(0, 19).replace('T', ' ')} UTC`
        : `${props.xLabel} ${formatValue(point.x)}`
    }`;
  return (
    <figure className="isd-chart">
      <figcaption>{props.title}</figcaption>
      <svg
        role="img"
        aria-label={`${props.title}: ${props.series.map((series) => series.name).join(', ')} by ${props.xLabel}`}
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
        fontSize={11}
      >
        <g className="isd-chart-grid" stroke="#e5e5e5">
          {yTicks.map((tick) => (
            <line key={tick} x1={margin.left} x2={margin.left + plotWidth} y1={y(tick)} y2={y(tick)} />
          ))}
        </g>
        <g className="isd-chart-y-axis" fill="#555">
          <line x1={margin.left} x2={margin.left} y1={margin.top} y2={margin.top + plotHeight} stroke="#888" />
          {yTicks.map((tick) => (
            <text key={tick} x={margin.left - 6} y={y(tick) + 4} textAnchor="end">
              {formatValue(tick)}
            </text>
          ))}
          <text
            transform={`translate(14 ${margin.top + plotHeight / 2}) rotate(-90)`}
            textAnchor="middle"
            className="isd-chart-y-label"
          >
            {props.yLabel}
            {unit}
          </text>
        </g>
        <g className="isd-chart-x-axis" fill="#555">
          <line
            x1={margin.left}
            x2={margin.left + plotWidth}
            y1={margin.top + plotHeight}
            y2={margin.top + plotHeight}
            stroke="#888"
          />
          {xTicks.map((tick) => (
            <text key={tick} x={x(tick)} y={margin.top + plotHeight + 16} textAnchor="middle">
              {xText(tick)}
            </text>
          ))}
          <text x={margin.left + plotWidth / 2} y={height - 6} textAnchor="middle" className="isd-chart-x-label">
            {props.xLabel}
          </text>
        </g>
        {(props.rules ?? []).map((rule) => (
          <g key={rule.label} className="isd-chart-rule">
            <line
              x1={margin.left}
              x2={margin.left + plotWidth}
              y1={y(rule.value)}
              y2={y(rule.value)}
              stroke={rule.color}
              strokeDasharray="2 3"
            />
            <text x={margin.left + plotWidth - 2} y={y(rule.value) - 3} textAnchor="end" fill={rule.color}>
              {rule.label}
            </text>
          </g>
        ))}
        {props.series.map((series) => (
          <g key={series.name} className="isd-chart-series" data-series={series.name}>
            <path
              d={pathOf(series.points, x, y)}
              fill="none"
              stroke={series.color}
              strokeWidth={1.5}
              strokeDasharray={series.dashed ? '5 3' : undefined}
            />
            {series.points.length <= MAX_MARKED_POINTS &&
              series.points
                .filter((point): point is { x: number; y: number } => point.y !== null && Number.isFinite(point.y))
                .map((point) => (
                  <circle key={point.x} cx={x(point.x)} cy={y(point.y)} r={2.5} fill={series.color}>
                    <title>{pointTitle(series, point)}</title>
                  </circle>
                ))}
          </g>
        ))}
      </svg>
      {props.series.length > 1 && (
        <ul className="list-inline isd-chart-legend">
          {props.series.map((series) => (
            <li key={series.name}>
              <span style={{ color: series.color }}>{series.dashed ? '╌╌' : '━━'}</span> {series.name}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/** An SVG path through the points, broken at gaps (null values). */
function pathOf(
  points: Array<{ x: number; y: number | null }>,
  x: (value: number) => number,
  y: (value: number) => number,
): string {
  let path = '';
  let drawing = false;
  for (const point of [...points].sort((a, b) => a.x - b.x)) {
    if (point.y === null || !Number.isFinite(point.y)) {
      drawing = false;
      continue;
    }
    path += `${drawing ? 'L' : 'M'}${x(point.x).toFixed(1)},${y(point.y).toFixed(1)}`;
    drawing = true;
  }
  return path;
}
