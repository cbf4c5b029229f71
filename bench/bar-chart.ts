// The benchmarks' SVG bar charts (docs/performance-chart.svg, docs/performance-links.svg): a panel
// per workload, a horizontal bar per tool with the median as the bar and min-max as a whisker.

export interface Bar {
  label: string;
  color: string;
  median: number;
  min: number;
  max: number;
  /** After the number, e.g. " (runs failed)". */
  note?: string;
}

export interface Panel {
  title: string;
  digits: number;
  bars: Bar[];
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The whole SVG: a title, a subtitle, the panels, a footer line; `label` is its accessible name. */
export function renderBarChart(chart: {
  title: string;
  subtitle: string;
  footer: string;
  label: string;
  panels: Panel[];
}): string {
  const width = 820;
  const labelWidth = 230;
  const barArea = width - labelWidth - 120;
  const barHeight = 20;
  const gap = 8;
  const panelHead = 34;
  const parts: string[] = [];
  let y = 56;
  parts.push(
    `<text x="16" y="26" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="16" y="46" font-size="12">${escapeXml(chart.subtitle)}</text>`,
  );
  for (const panel of chart.panels) {
    const max = Math.max(...panel.bars.map((b) => Math.max(b.max, b.median)), 1);
    parts.push(
      `<text x="16" y="${y + 20}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    y += panelHead;
    for (const bar of panel.bars) {
      const scale = (v: number) => (v / max) * barArea;
      const x0 = labelWidth;
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight * 0.72}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${x0}" y="${y}" width="${scale(bar.median).toFixed(1)}" height="${barHeight}" fill="${bar.color}"/>`,
        `<line x1="${(x0 + scale(bar.min)).toFixed(1)}" x2="${(x0 + scale(bar.max)).toFixed(1)}" y1="${y + barHeight / 2}" y2="${y + barHeight / 2}" stroke="#333" stroke-width="1.5"/>`,
        `<text x="${(x0 + scale(Math.max(bar.max, bar.median)) + 6).toFixed(1)}" y="${y + barHeight * 0.72}" font-size="12">${bar.median.toFixed(panel.digits)}${bar.note ?? ""}</text>`,
      );
      y += barHeight + gap;
    }
    y += 10;
  }
  parts.push(`<text x="16" y="${y + 10}" font-size="11" fill="#555">${escapeXml(chart.footer)}</text>`);
  const height = y + 24;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${escapeXml(chart.label)}">\n` +
    `<title>${escapeXml(chart.label)}</title>\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join("\n")}\n</svg>\n`
  );
}
