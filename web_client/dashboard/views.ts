/**
 * Each chart of the dashboard from its REST answer: the Chart.js configuration, the
 * caption in words (the chart's text alternative) and the data table.
 */
import type { ChartConfiguration, Plugin } from "chart.js";
import { h } from "../ui/dom";
import type { ConcurrencyAnswer, FunnelsAnswer, Moment, MomentsAnswer, Ranked, RetentionAnswer } from "./api";
import { type Cell, type ChartCard, markerPlugin, RTL, type TableData, THEME } from "./charts";
import { amount, funnelWords, heatColor, mediaStep, percent, ratio, run, shade, stepWords, thin, watchTime,
  wrap } from "./data";
import { i18n, t } from "./i18n";

/** Seconds of media in the retention's intro (docs/analytics.md: intro retention). */
export const INTRO_S = 30;
/** Points drawn on the retention curve, rows in its table, at most. */
const RETENTION_POINTS = 1_000;
const RETENTION_ROWS = 60;
/** Items on a top chart. */
export const TOP_SHOWN = 10;

const cell = (text: string, value?: number | string | null): Cell => ({ text, value });
const count = (n: number): Cell => cell(i18n.number(n), n);

/** A time of day (a window of up to two days) or a date, in this language. */
function timeLabel(ms: number, spanMs: number): string {
  return spanMs <= 2 * 86_400_000
    ? i18n.date(ms, { hour: "numeric", minute: "2-digit" })
    : i18n.date(ms, { month: "short", day: "numeric" });
}

export function when(ms: number): string {
  return i18n.date(ms, { dateStyle: "medium", timeStyle: "short" } as Intl.DateTimeFormatOptions);
}

const xAxis = { reverse: RTL, grid: { display: false } };

const yAxis = { position: (RTL ? "right" : "left") as "right" | "left" };

/** Labels at the end of each horizontal bar (a count, a watch time). */
function barLabels(labels: string[]): Plugin<"bar"> {
  return {
    id: "barLabels",
    afterDatasetsDraw(chart) {
      const meta = chart.getDatasetMeta(0);
      const ctx = chart.ctx;
      const area = chart.chartArea;
      ctx.save();
      ctx.font = `600 12px ${chart.options.font?.family ?? "sans-serif"}`;
      ctx.textBaseline = "middle";
      ctx.direction = i18n.dir;
      meta.data.forEach((bar, i) => {
        const { x, y, base } = bar.getProps(["x", "y", "base"], true) as { x: number; y: number; base: number };
        const text = labels[i] ?? "";
        const grow = x >= base ? 1 : -1;
        const width = ctx.measureText(text).width;
        const outside = grow > 0 ? x + 6 + width <= area.right : x - 6 - width >= area.left;
        ctx.fillStyle = outside ? THEME.fg : "#0d0f13";
        ctx.textAlign = (grow > 0) === outside ? "left" : "right";
        ctx.fillText(text, outside ? x + grow * 6 : x - grow * 6, y);
      });
      ctx.restore();
    },
  };
}

// ---------------------------------------------------------------------------- concurrency

export function showConcurrency(card: ChartCard, a: ConcurrencyAnswer, stepS: number): void {
  const span = a.range.until - a.range.since;
  const hasData = a.peak > 0;
  const caption = t("concurrency.caption", {
    hasData: hasData ? "yes" : "no", peak: a.peak, at: a.peak_at !== null ? when(a.peak_at) : "",
    average: amount(a.average, i18n), step: stepWords(stepS, i18n),
  });
  const config: ChartConfiguration<"line", Array<{ x: number; y: number }>> = {
    type: "line",
    data: {
      datasets: [
        {
          label: t("concurrency.peak"), data: a.points.map((p) => ({ x: p.t, y: p.viewers })),
          borderColor: THEME.blue, backgroundColor: "rgba(142, 166, 255, 0.2)", fill: true, stepped: "before",
          pointRadius: 0, borderWidth: 2,
        },
        {
          label: t("concurrency.average"), data: a.points.map((p) => ({ x: p.t, y: p.average })),
          borderColor: THEME.green, borderDash: [6, 4], pointRadius: 0, borderWidth: 2, stepped: "before",
        },
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          ...xAxis, type: "linear", min: a.range.since, max: a.range.until,
          ticks: { maxTicksLimit: 7, callback: (v) => timeLabel(Number(v), span) },
        },
        y: { ...yAxis, beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        tooltip: { callbacks: { title: (items) => (items.length ? when(items[0].parsed.x ?? 0) : "") } },
      },
    },
  };
  const rows = thin(a.points, 48);
  card.show(caption, config, {
    columns: [t("concurrency.time"), t("concurrency.peak"), t("concurrency.average")],
    rows: rows.rows.map((p) => [cell(when(p.t), p.t), count(p.viewers), cell(amount(p.average, i18n), p.average)]),
    note: rows.every > 1 ? t("chart.table_every", { step: stepWords(stepS * rows.every, i18n) }) : undefined,
  });
}

// ---------------------------------------------------------------------------- retention


export function showRetention(card: ChartCard, a: RetentionAnswer, mediaName: string): void {
  const points = a.data.map((d) => ({ x: d.second ?? 0, y: d.retentionPercent }));
  const hasData = a.views > 0 && points.length > 0;
  const intro = percent(a.intro_retention, i18n);
  const caption = t("retention.caption", { hasData: hasData ? "yes" : "no", media: mediaName, views: a.views, intro });
  const drawn = thin(points, RETENTION_POINTS, (p) => p.x === INTRO_S);
  const last = points.length ? points[points.length - 1].x : INTRO_S;
  const config: ChartConfiguration<"line", Array<{ x: number; y: number }>> = {
    type: "line",
    data: {
      datasets: [{
        label: t("retention.percent"), data: drawn.rows, borderColor: THEME.blue,
        backgroundColor: "rgba(142, 166, 255, 0.18)", fill: true, pointRadius: 0, borderWidth: 2,
      }],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          ...xAxis, type: "linear", min: 0, max: last + 1,
          title: { display: true, text: t("retention.position") },
          ticks: { stepSize: mediaStep(last + 1), callback: (v) => i18n.duration(Math.round(Number(v))) },
        },
        y: {
          ...yAxis, min: 0, max: 100,
          title: { display: true, text: t("retention.percent") },
          ticks: { callback: (v) => percent(Number(v), i18n) },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? i18n.duration(items[0].parsed.x ?? 0) : ""),
            label: (item) => `${t("retention.percent")}: ${percent(item.parsed.y, i18n)}`,
          },
        },
      },
    },
    plugins: a.intro_retention !== null ? [markerPlugin(INTRO_S, t("retention.intro_mark", { value: intro }))] : [],
  };
  const rows = thin(points, RETENTION_ROWS, (p) => p.x === INTRO_S);
  const step = rows.every;
  card.show(caption, hasData ? config : null, {
    columns: [t("retention.position"), t("retention.percent")],
    rows: rows.rows.map((p) => [cell(i18n.duration(p.x), p.x), cell(percent(p.y, i18n), p.y)]),
    note: step > 1 ? t("chart.table_every", { step: stepWords(step, i18n) }) : undefined,
  });
}

// ---------------------------------------------------------------------------- key moments

const ROWS = ["reactions", "messages", "rewatches"] as const;

export function showMoments(card: ChartCard, a: MomentsAnswer, mediaName: string, bucketS: number): void {
  const buckets = a.buckets;
  const tops = new Set(a.top.map((m) => m.start_s));
  const hasData = buckets.some((b) => b.score > 0);
  const topWords = run(a.top.map((m) => t("moments.top_item", { time: i18n.duration(m.start_s), score: m.score })),
    t("list.separator"), i18n);
  const caption = t("moments.caption", {
    hasData: hasData ? "yes" : "no", media: mediaName, bucket: stepWords(bucketS, i18n), top: topWords,
  });
  const max = Object.fromEntries(ROWS.map((r) => [r, Math.max(0, ...buckets.map((b) => b[r]))])) as
    Record<(typeof ROWS)[number], number>;
  const labels = buckets.map((b) => i18n.duration(b.start_s));
  // A heatmap: one row per kind, one floating bar per bucket, its shade the bucket's share
  // of the row's most; the top moments outlined.
  const config: ChartConfiguration<"bar", Array<[number, number]>> = {
    type: "bar",
    data: {
      labels,
      datasets: ROWS.map((row, r) => ({
        label: t("moments.row", { row }),
        data: buckets.map(() => [r, r + 1] as [number, number]),
        backgroundColor: buckets.map((b) => heatColor(shade(b[row], max[row]))),
        borderWidth: 0,
        grouped: false,
        barPercentage: 1,
        categoryPercentage: 1,
      })),
    },
    options: {
      layout: { padding: { top: Math.min(a.top.length, 3) * 12 + 12 } },
      scales: {
        x: { ...xAxis, ticks: { maxTicksLimit: 10, autoSkip: true, maxRotation: 0 } },
        y: {
          ...yAxis, min: 0, max: ROWS.length, reverse: true, grid: { display: false },
          ticks: {
            stepSize: 0.5,
            callback: (v) => (Number(v) % 1 === 0.5 ? t("moments.row", { row: ROWS[Math.floor(Number(v))] }) : ""),
          },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? momentSpan(buckets[items[0].dataIndex]) : ""),
            label: (item) => {
              const row = ROWS[item.datasetIndex];
              return `${t("moments.row", { row })}: ${i18n.number(buckets[item.dataIndex][row])}`;
            },
          },
        },
      },
    },
    plugins: [topMarks(a.top, buckets)],
  };
  const rows = buckets.filter((b) => b.score > 0);
  card.show(caption, hasData ? config : null, {
    columns: [t("moments.from"), t("moments.to"), ...ROWS.map((row) => t("moments.row", { row })),
      t("moments.score"), t("moments.top")],
    rows: rows.map((b) => [
      cell(i18n.duration(b.start_s), b.start_s), cell(i18n.duration(b.end_s), b.end_s),
      count(b.reactions), count(b.messages), count(b.rewatches), count(b.score),
      cell(tops.has(b.start_s) ? t("moments.top_yes") : "", tops.has(b.start_s) ? 1 : 0),
    ]),
    note: t("moments.table_note"),
  }, hasData ? h("p", { class: "db-note" }, t("moments.legend")) : null);
}

/** Above the heatmap, a numbered mark over each top moment (1: the densest). */
function topMarks(top: Moment[], buckets: Moment[]): Plugin<"bar"> {
  const ranked = [...top].sort((a, b) => b.score - a.score || a.start_s - b.start_s);
  return {
    id: "topMarks",
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = `700 11px ${chart.options.font?.family ?? "sans-serif"}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      const labelled: Array<{ at: number; level: number }> = [];
      ranked.forEach((m, rank) => {
        const index = buckets.findIndex((b) => b.start_s === m.start_s);
        if (index < 0) return;
        const at = x.getPixelForValue(index);
        ctx.fillStyle = THEME.fg;
        ctx.beginPath();
        ctx.moveTo(at - 5, area.top - 9);
        ctx.lineTo(at + 5, area.top - 9);
        ctx.lineTo(at, area.top - 2);
        ctx.closePath();
        ctx.fill();
        // Numbers too close to one already drawn go a line higher.
        let level = 0;
        while (labelled.some((l) => l.level === level && Math.abs(l.at - at) < 12)) level++;
        labelled.push({ at, level });
        ctx.fillText(i18n.number(rank + 1), at, area.top - 10 - level * 12);
        ctx.strokeStyle = "rgba(238, 240, 244, 0.55)";
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(at, area.top);
        ctx.lineTo(at, area.bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
}

function momentSpan(m: Moment): string {
  return `${i18n.duration(m.start_s)} – ${i18n.duration(m.end_s)}`;
}

// ---------------------------------------------------------------------------- funnels

export function showFunnels(card: ChartCard, a: FunnelsAnswer): void {
  const caption = t("funnel.caption", { invite: funnelWords(a.invite, i18n), share: funnelWords(a.share, i18n) });
  const steps = a.invite;
  const config: ChartConfiguration<"bar", number[]> = {
    type: "bar",
    data: {
      labels: steps.map((s) => wrap(t("funnel.step", { step: s.step }))),
      datasets: [{
        label: t("funnel.invite_series"), data: steps.map((s) => s.count),
        backgroundColor: ["#8ea6ff", "#7b96f7", "#6a86ee", "#5ee08f"], borderRadius: 4,
      }],
    },
    options: {
      indexAxis: "y",
      layout: { padding: { left: RTL ? 72 : 0, right: RTL ? 0 : 72 } },
      scales: {
        x: { ...xAxis, reverse: RTL, beginAtZero: true, ticks: { precision: 0 } },
        y: { ...yAxis, grid: { display: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const s = steps[item.dataIndex];
              return s.conversion === null ? i18n.number(s.count)
                : `${i18n.number(s.count)} (${ratio(s.conversion, i18n)})`;
            },
          },
        },
      },
    },
    plugins: [barLabels(steps.map((s) => s.conversion === null ? i18n.number(s.count)
      : `${i18n.number(s.count)} · ${ratio(s.conversion, i18n)}`))],
  };
  const rows: Cell[][] = [];
  for (const name of ["invite", "share"] as const) {
    for (const s of a[name]) {
      rows.push([cell(t("funnel.name", { name }), name), cell(t("funnel.step", { step: s.step }), s.step), count(s.count),
        cell(ratio(s.conversion, i18n), s.conversion)]);
    }
  }
  card.show(caption, config, {
    columns: [t("funnel.funnel"), t("funnel.stage"), t("funnel.count"), t("funnel.conversion")], rows,
  });
}

// ---------------------------------------------------------------------------- top parties and media

export function showTop(card: ChartCard, items: Ranked[], name: (item: Ranked) => string): void {
  const shown = items.slice(0, TOP_SHOWN);
  const first = shown[0];
  const caption = t("top.caption", {
    hasData: first && first.watch_time_s > 0 ? "yes" : "no", first: first ? name(first) : "",
    time: first ? watchTime(first.watch_time_s, i18n) : "", count: shown.length,
  });
  const short = (text: string) => (Array.from(text).length > 28 ? `${Array.from(text).slice(0, 27).join("")}…` : text);
  const config: ChartConfiguration<"bar", number[]> = {
    type: "bar",
    data: {
      labels: shown.map((i) => wrap(short(name(i)))),
      datasets: [{
        label: t("top.axis"), data: shown.map((i) => Math.round(i.watch_time_s / 6) / 10),
        backgroundColor: THEME.blue, borderRadius: 4, maxBarThickness: 28,
      }],
    },
    options: {
      indexAxis: "y",
      layout: { padding: { left: RTL ? 96 : 0, right: RTL ? 0 : 96 } },
      scales: {
        x: { ...xAxis, reverse: RTL, beginAtZero: true, title: { display: true, text: t("top.axis") } },
        y: { ...yAxis, grid: { display: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => watchTime(shown[item.dataIndex].watch_time_s, i18n) } },
      },
    },
    plugins: [barLabels(shown.map((i) => watchTime(i.watch_time_s, i18n)))],
  };
  card.show(caption, shown.length ? config : null, {
    columns: [t("top.name"), t("top.sessions"), t("top.viewers"), t("top.watch_time"), t("top.messages"),
      t("top.reactions")],
    rows: items.map((i) => [cell(name(i), i.id), count(i.sessions), count(i.unique_viewers),
      cell(watchTime(i.watch_time_s, i18n), i.watch_time_s), count(i.messages), count(i.reactions)]),
  });
}
