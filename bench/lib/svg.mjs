// A hand-written SVG bar chart (no dependency): one panel per group, each with its own scale
// (pipelined rates are ~10x the others), one horizontal bar per server, value at the bar's end.
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k/s` : `${Math.round(n)}/s`;
const colour = (label) =>
  /^uwsgi-rpc/.test(label)
    ? '#2b6cb0'
    : /^minimal/.test(label)
      ? '#718096'
      : /^uWSGI/.test(label)
        ? '#dd6b20'
        : '#38a169';

/** groups: [{ title, bars: [{ label, value }] }] -> SVG text */
export function barChart(title, subtitle, groups) {
  const W = 860,
    labelW = 330,
    valueW = 80,
    barH = 18,
    gap = 6,
    panelGap = 26,
    top = 56;
  let y = top;
  const parts = [];
  for (const g of groups) {
    const bars = g.bars.filter((b) => Number.isFinite(b.value) && b.value > 0);
    if (!bars.length) continue;
    const max = Math.max(...bars.map((b) => b.value));
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(g.title)}</text>`);
    y += 20;
    for (const b of bars) {
      const w = Math.max(1, ((W - labelW - valueW - 20) * b.value) / max);
      parts.push(
        `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colour(b.label)}"/>`,
        `<text x="${(labelW + w + 5).toFixed(1)}" y="${y + 13}">${fmt(b.value)}</text>`,
      );
      y += barH + gap;
    }
    y += panelGap;
  }
  const H = y;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>
<text x="10" y="40" fill="#4a5568">${esc(subtitle)}</text>
${parts.join('\n')}
</svg>
`;
}
