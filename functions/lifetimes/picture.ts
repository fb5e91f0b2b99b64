import { escapeHtml } from '../http/html.ts';
import type { LifetimeSnapshot } from './config.ts';
import { WARNING_RULES, type LifetimeWarning } from './guardrails.ts';
import { definitionOf, type ParameterName, type SecondsParameterName } from './parameters.ts';
import { resolveLifetimes, type LifetimeSource, type ResolveContext, type ResolvedLifetimes, type ResolvedValue } from './resolver.ts';

/**
 * The picture of the lifetimes (`lifespan lifetimes explain --html`, and `/admin/lifetimes.html`
 * on the development server): one self-contained HTML page — inline CSS and SVG, no script, no
 * font or image to fetch — drawing, for each view (a client and/or audience, under a lifetime
 * profile or none), every effective lifetime as a bar on one logarithmic time axis shared by all
 * views, its value and source beside it (and on hover), the guardrail limits as marks and the
 * warnings on the bar they concern. Every value is what {@link resolveLifetimes} gives the
 * service, so the page cannot disagree with `explain` or with what the token endpoint issues.
 */

/** One panel of the page. No `clientType`: both the confidential and the browser access token are drawn. */
export type PictureView = ResolveContext;

export interface PictureOptions {
  /** Where the parameters come from, shown in the heading (`/lifespan/prod/`, a file). */
  readonly source: string;
}

/** A bar: a lifetime of one kind of token, session or code. */
interface Bar {
  /** Stable key, the `data-row` of the bar (tests and scripts find bars by it). */
  readonly row: string;
  readonly label: string;
  readonly parameter: SecondsParameterName;
  readonly resolved: ResolvedValue<number>;
  readonly warnings: readonly LifetimeWarning[];
}

/** Values that are not lifetimes, shown beside the bars as text. */
const FACTS: ReadonlyArray<readonly [ParameterName, string]> = [
  ['refresh_token_rotation', 'refresh rotation'],
  ['refresh_token_reuse_interval', 'reuse interval'],
  ['access_token_format', 'access tokens'],
  ['refresh_rate_limit', 'refreshes per window'],
];

/** Where each warning is drawn: on the bar of its parameter, or of the lifetime it concerns. */
const WARNING_BAR: Partial<Record<ParameterName, SecondsParameterName>> = {
  refresh_token_rotation: 'refresh_token_absolute_ttl',
  revoke_refresh_on_password_change: 'refresh_token_absolute_ttl',
};

const SOURCE_COLOURS: Readonly<Record<LifetimeSource, string>> = {
  default: '#8a94a6',
  global: '#3b6fd4',
  client: '#7a4cc2',
  audience: '#1b8a8a',
  browser: '#2a9fd6',
  profile: '#2e8b3d',
  guardrail: '#c0392b',
};

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** `900` → `15 min`, `5400` → `1 h 30 min`, `31536000` → `365 d`: at most two units. */
export function humanDuration(seconds: number): string {
  if (seconds === 0) return '0 s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, unit] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

const TICKS: ReadonlyArray<readonly [number, string]> = [
  [1, '1 s'],
  [10, '10 s'],
  [60, '1 min'],
  [600, '10 min'],
  [3600, '1 h'],
  [86_400, '1 d'],
  [604_800, '1 w'],
  [2_592_000, '30 d'],
  [31_536_000, '1 y'],
  [315_360_000, '10 y'],
];

const LABEL_WIDTH = 190;
const CHART_WIDTH = 560;
const SVG_WIDTH = 1040;
const ROW = 30;
const NOTE = 16;

function contextText(view: PictureView): string {
  const parts = [
    view.clientId !== undefined ? `client ${view.clientId}` : 'any client',
    view.clientType !== undefined ? `(${view.clientType})` : undefined,
    view.audience !== undefined ? `audience ${view.audience}` : undefined,
    view.profile !== undefined ? `lifetime profile ${view.profile}` : 'no lifetime profile',
  ];
  return parts.filter((part): part is string => part !== undefined).join(' · ');
}

function bar(row: string, label: string, parameter: SecondsParameterName, resolved: ResolvedLifetimes): Bar {
  const warnings = resolved.warnings.filter((warning) => (WARNING_BAR[warning.parameter] ?? warning.parameter) === parameter);
  return { row, label, parameter, resolved: resolved[parameter], warnings };
}

/** The bars of one view, in the order a login produces them (shortest-lived first). */
function barsOf(snapshot: LifetimeSnapshot, view: PictureView): { bars: Bar[]; resolved: ResolvedLifetimes } {
  const resolved = resolveLifetimes(snapshot, view);
  const bars: Bar[] = [];
  if (view.clientType !== 'public') bars.push(bar('access_token', 'Access token', 'access_token_ttl', resolved));
  if (view.clientType !== 'confidential') {
    const browser = view.clientType === 'public' ? resolved : resolveLifetimes(snapshot, { ...view, clientType: 'public' });
    bars.push(bar('access_token_browser', 'Access token (browser)', 'access_token_ttl', browser));
  }
  // Client credentials come from no login: a profile never applies, so the bar is left out under one.
  if (view.clientType !== 'public' && view.profile === undefined) {
    bars.push(bar('client_credentials', 'Access token (M2M)', 'client_credentials_token_ttl', resolved));
  }
  bars.push(
    bar('id_token', 'ID token', 'id_token_ttl', resolved),
    bar('authorization_code', 'Authorization code', 'authorization_code_ttl', resolved),
    bar('refresh_idle', 'Refresh token, idle', 'refresh_token_idle_ttl', resolved),
    bar('refresh_absolute', 'Refresh token, absolute', 'refresh_token_absolute_ttl', resolved),
    bar('session_idle', 'Session, idle', 'session_idle_ttl', resolved),
    bar('session_absolute', 'Session, absolute', 'session_absolute_ttl', resolved),
  );
  return { bars, resolved };
}

/** The guardrail marks of a parameter: its hard limit and the threshold above which it warns. */
function marksOf(parameter: SecondsParameterName): Array<{ at: number; kind: 'limit' | 'warning'; text: string }> {
  const definition = definitionOf(parameter);
  const marks: Array<{ at: number; kind: 'limit' | 'warning'; text: string }> = [];
  if (definition.kind === 'seconds' && definition.max !== undefined) {
    marks.push({ at: definition.max, kind: 'limit', text: `hard limit ${humanDuration(definition.max)}` });
  }
  for (const rule of WARNING_RULES) {
    if (rule.parameter === parameter && rule.limit !== undefined) marks.push({ at: rule.limit, kind: 'warning', text: `warns above ${humanDuration(rule.limit)}` });
  }
  return marks;
}

function sourceText(resolved: ResolvedValue<unknown>): string {
  return resolved.rejected === undefined ? resolved.source : `${resolved.source} (${resolved.rejected.name} rejected)`;
}

/** One SVG axis for every view: from 1 s to the first tick past every value and mark. */
function axisOf(views: ReadonlyArray<{ bars: readonly Bar[] }>) {
  let longest = 86_400;
  for (const { bars } of views) {
    for (const { resolved, parameter } of bars) {
      longest = Math.max(longest, resolved.value, ...marksOf(parameter).map((mark) => mark.at));
    }
  }
  const [top, topLabel] = TICKS.find(([at]) => at >= longest * 1.5) ?? [longest * 2, humanDuration(longest * 2)];
  const x = (seconds: number) => LABEL_WIDTH + (CHART_WIDTH * Math.log(Math.max(seconds, 1))) / Math.log(top);
  return { top, topLabel, x, ticks: TICKS.filter(([at]) => at <= top) };
}

function viewSvg(index: number, view: PictureView, bars: readonly Bar[], axis: ReturnType<typeof axisOf>): string {
  const heights = bars.map((entry) => ROW + NOTE * (entry.warnings.length + (entry.resolved.rejected ? 1 : 0)));
  const height = 28 + heights.reduce((sum, h) => sum + h, 0) + 8;
  const parts: string[] = [];
  // The axis: a grid line and a label per tick.
  for (const [at, text] of axis.ticks) {
    const tx = axis.x(at).toFixed(1);
    parts.push(`<line class="tick" x1="${tx}" y1="20" x2="${tx}" y2="${height - 8}"/><text class="tick-label" x="${tx}" y="14" text-anchor="middle">${text}</text>`);
  }
  let y = 28;
  bars.forEach((entry, at) => {
    const { resolved } = entry;
    const end = axis.x(resolved.value);
    const width = Math.max(end - LABEL_WIDTH, 2);
    const value = humanDuration(resolved.value);
    const source = sourceText(resolved);
    const hover = [
      `${entry.label}: ${resolved.value} s (${value}), from ${source}`,
      `parameter ${entry.parameter}`,
      ...(resolved.rejected ? [`rejected: ${resolved.rejected.name} = ${resolved.rejected.value ?? '(removed)'}: ${resolved.rejected.reason}`] : []),
      ...entry.warnings.map((warning) => `${warning.code}: ${warning.message}`),
    ].join('\n');
    const classes = ['row', ...(entry.warnings.length > 0 ? ['warned'] : []), ...(resolved.rejected ? ['rejected'] : [])].join(' ');
    parts.push(
      `<g class="${classes}" data-view="${index}" data-row="${entry.row}" data-parameter="${entry.parameter}" data-value="${resolved.value}" data-source="${resolved.source}">` +
        `<title>${escapeHtml(hover)}</title>` +
        `<text class="label" x="${LABEL_WIDTH - 10}" y="${y + 15}" text-anchor="end">${escapeHtml(entry.label)}</text>` +
        `<rect class="bar" x="${LABEL_WIDTH}" y="${y + 4}" width="${width.toFixed(1)}" height="16" rx="3" fill="${SOURCE_COLOURS[resolved.source]}"/>` +
        marksOf(entry.parameter)
          .map((mark) => {
            const mx = axis.x(mark.at).toFixed(1);
            return `<line class="mark ${mark.kind}" x1="${mx}" y1="${y}" x2="${mx}" y2="${y + 24}"><title>${escapeHtml(mark.text)}</title></line>`;
          })
          .join('') +
        `<text class="value" x="${(LABEL_WIDTH + width + 8).toFixed(1)}" y="${y + 16}"><tspan class="amount">${escapeHtml(value)}</tspan> · <tspan class="source">${escapeHtml(source)}</tspan></text>` +
        [
          ...(resolved.rejected
            ? [`<text class="note rejected-note" x="${LABEL_WIDTH}" y="${y + ROW + 10}">rejected ${escapeHtml(resolved.rejected.name)} = ${escapeHtml(resolved.rejected.value ?? '(removed)')}: ${escapeHtml(resolved.rejected.reason)}</text>`]
            : []),
          ...entry.warnings.map(
            (warning, n) =>
              `<text class="note warning" data-code="${warning.code}" x="${LABEL_WIDTH}" y="${y + ROW + 10 + NOTE * (n + (resolved.rejected ? 1 : 0))}">⚠ ${warning.code}: ${escapeHtml(warning.message)}</text>`,
          ),
        ].join('') +
        `</g>`,
    );
    y += heights[at] ?? ROW;
  });
  return `<svg role="img" aria-label="${escapeHtml(contextText(view))}" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}">${parts.join('')}</svg>`;
}

function factsOf(resolved: ResolvedLifetimes, bars: readonly Bar[]): string {
  const items = FACTS.map(([name, label]) => {
    const entry: ResolvedValue<unknown> = resolved[name];
    const value = typeof entry.value === 'boolean' ? (entry.value ? 'on' : 'off') : name === 'refresh_token_reuse_interval' ? humanDuration(Number(entry.value)) : String(entry.value);
    return `<li data-parameter="${name}" data-source="${entry.source}">${escapeHtml(label)} <b>${escapeHtml(value)}</b> <span class="source">${escapeHtml(sourceText(entry))}</span></li>`;
  });
  const drawn = new Set(bars.flatMap((entry) => entry.warnings));
  const others = resolved.warnings.filter((warning) => !drawn.has(warning));
  const warnings = others.map((warning) => `<li class="warning" data-code="${warning.code}">⚠ ${warning.code}: ${escapeHtml(warning.message)}</li>`);
  return `<ul class="facts">${[...items, ...warnings].join('')}</ul>`;
}

function legend(): string {
  const sources = (Object.keys(SOURCE_COLOURS) as LifetimeSource[])
    .map((source) => `<span class="key"><span class="swatch" style="background:${SOURCE_COLOURS[source]}"></span>${source}</span>`)
    .join('');
  return `<p class="legend">Source: ${sources} <span class="key"><span class="swatch limit"></span>hard limit</span> <span class="key"><span class="swatch warning"></span>warning threshold</span></p>`;
}

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2330;background:#fff}',
  'h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.6rem 0 .4rem}',
  '.sub{color:#5b6475;margin:0 0 1rem}',
  'svg{display:block;font-size:12px}',
  '.tick{stroke:#e3e6ec}.tick-label{fill:#8a94a6;font-size:11px}',
  // A halo, so a mark under a value never hides it.
  '.label{fill:#1d2330}.value,.note{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.value{fill:#1d2330}.value .source{fill:#5b6475}',
  '.mark{stroke-width:2}.mark.limit{stroke:#c0392b}.mark.warning{stroke:#e08a00;stroke-dasharray:3 2}',
  '.warned .bar{stroke:#e08a00;stroke-width:2}.note{font-size:11px}.warning{fill:#a35f00;color:#a35f00}.rejected-note{fill:#c0392b}',
  '.facts{list-style:none;padding:0;margin:.2rem 0 0 190px;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:12px}',
  '.facts .source{color:#5b6475}',
  '.legend{font-size:12px;color:#5b6475}.key{margin-right:.8rem;white-space:nowrap}',
  '.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-1px;margin-right:.25rem}',
  '.swatch.limit{background:#c0392b;width:3px}.swatch.warning{background:#e08a00;width:3px}',
].join('');

/**
 * The page for these views of one configuration snapshot.
 *
 * @example
 * const html = lifetimesPage(snapshot, [{}, { clientId: 'web', profile: 'shared-device' }], { source: '/lifespan/prod/' });
 */
export function lifetimesPage(snapshot: LifetimeSnapshot, views: readonly PictureView[], options: PictureOptions): string {
  const drawn = views.map((view) => ({ view, ...barsOf(snapshot, view) }));
  const axis = axisOf(drawn);
  const sections = drawn.map(
    ({ view, bars, resolved }, index) =>
      `<section class="view" data-view="${index}"><h2>${escapeHtml(contextText(view))}</h2>${viewSvg(index, view, bars, axis)}${factsOf(resolved, bars)}</section>`,
  );
  const title = `Lifespan lifetimes: ${options.source}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeHtml(title)}</h1>` +
    `<p class="sub">Every effective lifetime on one logarithmic axis (1 s to ${axis.topLabel}), each with where its value comes from. ` +
    `Hover a bar for its parameter and the exact seconds.</p>${legend()}${sections.join('')}</body></html>`
  );
}
