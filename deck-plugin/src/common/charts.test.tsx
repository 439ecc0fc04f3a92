import { render, screen } from '@testing-library/react';
import React from 'react';

import { formatTimeTick, formatValue, LineChart, niceTicks, timeTicks } from './charts';

describe('chart scales', () => {
  it('puts ticks on round values covering the range', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.13, 0.47)).toEqual([0.2, 0.3, 0.4]);
    expect(niceTicks(0.13, 0.47, 10)).toEqual([0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(-3, 7, 5)).toEqual([-2, 0, 2, 4, 6]);
  });

  it('puts time ticks on whole minutes, hours or UTC days', () => {
    const start = Date.parse('2026-11-22T09:03:00Z');
    const minutes = timeTicks(start, start + 30 * 60_000);
    expect(minutes.ticks.map((tick) => formatTimeTick(tick, minutes.step))).toEqual(['09:15', '09:30']);
    const more = timeTicks(start, start + 30 * 60_000, 10);
    expect(more.ticks.map((tick) => formatTimeTick(tick, more.step))).toEqual([
      '09:05',
      '09:10',
      '09:15',
      '09:20',
      '09:25',
      '09:30',
    ]);
    const days = timeTicks(start, start + 20 * 86_400_000);
    expect(formatTimeTick(days.ticks[0]!, days.step)).toBe('2026-11-29');
  });

  it('formats values with three significant digits', () => {
    expect(formatValue(0.123456)).toBe('0.123');
    expect(formatValue(12_345)).toBe('12.3k');
    expect(formatValue(2_500_000)).toBe('2.5M');
    expect(formatValue(0)).toBe('0');
  });
});

describe('LineChart', () => {
  it('labels both axes with the unit, and draws thresholds and a legend', () => {
    render(
      <LineChart
        title="latency"
        series={[
          {
            name: 'baseline',
            color: '#000',
            points: [
              { x: 1, y: 2 },
              { x: 2, y: 3 },
            ],
          },
          {
            name: 'canary',
            color: '#f00',
            points: [
              { x: 1, y: 4 },
              { x: 2, y: null },
            ],
          },
        ]}
        xKind="number"
        xLabel="Interval"
        yLabel="p99"
        unit="ms"
        rules={[{ value: 3.5, label: 'limit', color: '#999' }]}
      />,
    );
    const chart = document.querySelector('svg[aria-label="latency: baseline, canary by Interval"]')!;
    expect(chart.querySelector('.isd-chart-y-label')?.textContent).toBe('p99 (ms)');
    expect(chart.querySelector('.isd-chart-x-label')?.textContent).toBe('Interval');
    expect(chart.querySelector('.isd-chart-rule text')?.textContent).toBe('limit');
    expect(chart.querySelectorAll('circle')).toHaveLength(3);
    expect(chart.querySelector('circle title')?.textContent).toBe('baseline: 2 ms at Interval 1');
    expect(screen.getByText('canary')).toBeTruthy();
  });

  it('says there is no data instead of drawing empty axes', () => {
    render(
      <LineChart
        title="empty"
        series={[{ name: 'a', color: '#000', points: [{ x: 1, y: null }] }]}
        xKind="time"
        xLabel="t"
        yLabel="v"
      />,
    );
    expect(screen.getByText('No data to chart.')).toBeTruthy();
  });
});
