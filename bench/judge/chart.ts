// A dependency-free SVG bar chart of alarm rates per scenario kind and judge, for bench/README.md.

/** One row of the chart: a scenario kind and one rate (0–1) per judge. */
export interface ChartRow {
  label: string;
  values: number[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c'];

/** Renders horizontal bars (one per judge) for every row; rates are alarm rates (detection or false alarm). */
export function detectionChart(rows: ChartRow[], series: string[]): string {
  const labelWidth = 270;
  const barWidth = 360;
  const barHeight = 9;
  const rowHeight = series.length * barHeight + 8;
  const height = rows.length * rowHeight + 50;
  const width = labelWidth + barWidth + 70;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${labelWidth}" y="14" font-weight="bold">alarm rate per scenario kind (detection for regressions, false alarms for no-change)</text>`,
  ];
  series.forEach((name, i) => {
    parts.push(
      `<rect x="${labelWidth + i * 90}" y="22" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${labelWidth + i * 90 + 14}" y="31">${escape(name)}</text>`,
    );
  });
  rows.forEach((row, r) => {
    const top = 42 + r * rowHeight;
    parts.push(`<text x="${labelWidth - 6}" y="${top + rowHeight / 2}" text-anchor="end">${escape(row.label)}</text>`);
    row.values.forEach((value, i) => {
      const y = top + i * barHeight;
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${(barWidth * value).toFixed(1)}" height="${barHeight - 1}" fill="${COLORS[i % COLORS.length]}"/>`,
      );
      parts.push(
        `<text x="${labelWidth + barWidth * value + 4}" y="${y + barHeight - 1}">${(100 * value).toFixed(1)}%</text>`,
      );
    });
  });
  parts.push(`<line x1="${labelWidth}" y1="40" x2="${labelWidth}" y2="${height - 4}" stroke="#333"/>`, '</svg>');
  return `${parts.join('\n')}\n`;
}
