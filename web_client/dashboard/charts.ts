/**
 * Chart.js (MIT; only the controllers, elements, scales and plugins used are bundled)
 * in the dashboard's dark theme and language direction, and the card every chart sits
 * in: a <figure> with its title, the chart (role="img", named by the title, described
 * by the caption), a caption in words, a data table behind a toggle, and a link to the
 * same data as CSV.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  Tooltip,
} from "chart.js";
import { h, setText, uid } from "../ui/dom";
import { analyticsUrl, type Api, type Params, save } from "./api";
import { i18n, t } from "./i18n";

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip);

/** Colours that read on the dark page (contrast ≥ 4.5:1 for text on #181b21). */
export const THEME = {
  fg: "#eef0f4",
  muted: "#a9afbc",
  grid: "rgba(169, 175, 188, 0.16)",
  blue: "#8ea6ff",
  green: "#5ee08f",
  amber: "#f5c04a",
  surface: "#181b21",
};

Chart.defaults.color = THEME.muted;
Chart.defaults.borderColor = THEME.grid;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
Chart.defaults.font.size = 12;
// Drawn at once: nothing moves (reduced motion), and a screenshot is what is there.
Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.locale = i18n.locale;

export const RTL = i18n.dir === "rtl";

/** Options every chart shares: the language's direction for the legend and tooltips. */
export function directed<T extends ChartConfiguration>(config: T): T {
  const options = (config.options ??= {}) as any;
  options.locale = i18n.locale;
  options.plugins ??= {};
  options.plugins.legend = { rtl: RTL, textDirection: i18n.dir, ...(options.plugins.legend ?? {}) };
  options.plugins.tooltip = { rtl: RTL, textDirection: i18n.dir, ...(options.plugins.tooltip ?? {}) };
  return config;
}

/** A vertical marker at `x` (in the x scale's values) with a label: the retention's 30 s. */
export function markerPlugin(x: number, label: string): Plugin<"line"> {
  return {
    id: "marker",
    afterDatasetsDraw(chart) {
      const scale = chart.scales.x;
      const area = chart.chartArea;
      const at = scale.getPixelForValue(x);
      if (!Number.isFinite(at) || at < area.left || at > area.right) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = THEME.amber;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(at, area.top);
      ctx.lineTo(at, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = THEME.fg;
      ctx.font = `600 12px ${Chart.defaults.font.family}`;
      ctx.direction = i18n.dir;
      const room = area.right - at > 120;
      ctx.textAlign = room ? "left" : "right";
      ctx.fillText(label, room ? at + 6 : at - 6, area.top + 14);
      ctx.restore();
    },
  };
}

export interface Cell {
  text: string;
  /** The raw value (a count, seconds, ms), for whoever reads the table programmatically. */
  value?: number | string | null;
}

export interface TableData {
  columns: string[];
  rows: Cell[][];
  /** Said under the table, e.g. that it shows one row in ten. */
  note?: string;
}

export interface CardOptions {
  /** The card's id (`card-<key>`) and the CSV's file name. */
  key: string;
  title: string;
  /** The endpoint whose CSV the link downloads. */
  endpoint: string;
  /** Wider than one column on a wide screen. */
  wide?: boolean;
  /** The chart's height (CSS) on a wide screen; phones get less. */
  height?: "short" | "tall";
}

/** One chart's card. */
export class ChartCard {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly canvasBox: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly status: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly tableBox: HTMLElement;
  private readonly csv: HTMLAnchorElement;
  private readonly extra: HTMLElement;
  private chart: Chart | null = null;
  private params: Params = {};

  constructor(private readonly api: () => Api, readonly options: CardOptions) {
    const titleId = uid("title");
    const captionId = uid("caption");
    const tableId = uid("table");
    this.canvas = h("canvas", { role: "img", "aria-labelledby": titleId, "aria-describedby": captionId });
    this.canvas.textContent = "";
    this.canvasBox = h("div", { class: `db-canvas db-canvas-${options.height ?? "short"}` }, this.canvas);
    this.caption = h("figcaption", { id: captionId, class: "db-caption" });
    this.status = h("p", { class: "db-card-status" });
    this.extra = h("div", { class: "db-extra" });
    this.tableBox = h("div", {
      id: tableId, class: "db-table-wrap", role: "region", tabindex: 0,
      "aria-label": options.title,
    });
    this.tableBox.hidden = true;
    this.toggle = h("button", {
      type: "button", class: "db-button db-button-small db-toggle", "aria-expanded": "false", "aria-controls": tableId,
      onclick: () => this.showTable(this.tableBox.hidden),
    }, t("chart.show_table"));
    this.csv = h("a", {
      class: "db-button db-button-small db-csv", href: "#", download: `${options.key}.csv`,
      "aria-label": t("chart.csv_label", { name: options.title }),
      onclick: (event: MouseEvent) => {
        event.preventDefault();
        void this.download();
      },
    }, t("chart.csv"));
    this.el = h("section", {
      id: `card-${options.key}`, class: options.wide ? "db-card db-card-wide" : "db-card",
      "aria-labelledby": titleId, "data-state": "loading",
    },
    h("figure", { class: "db-figure" },
      h("div", { class: "db-card-head" },
        h("h2", { id: titleId, class: "db-card-title" }, options.title),
        h("div", { class: "db-actions" }, this.toggle, this.csv)),
      this.canvasBox,
      this.caption,
      this.extra,
      this.status,
      this.tableBox));
  }

  showTable(open: boolean): void {
    this.tableBox.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    setText(this.toggle, t(open ? "chart.hide_table" : "chart.show_table"));
  }

  loading(params: Params): void {
    this.params = params;
    this.csv.href = analyticsUrl(this.options.endpoint, { ...params, format: "csv" });
    this.el.dataset.state = "loading";
    this.el.setAttribute("aria-busy", "true");
    setText(this.status, t("chart.loading"));
  }

  failed(error: string): void {
    this.destroyChart();
    this.el.dataset.state = "failed";
    this.el.removeAttribute("aria-busy");
    this.canvasBox.hidden = true;
    setText(this.caption, "");
    setText(this.status, t("chart.failed", { error }));
  }

  /** Draw: the chart (none: no data to plot), its caption, its table; `params` are the CSV's. */
  show(caption: string, config: ChartConfiguration | null, table: TableData, extra: Node | null = null): void {
    this.destroyChart();
    setText(this.caption, caption);
    setText(this.status, "");
    this.extra.replaceChildren(...(extra ? [extra] : []));
    this.canvasBox.hidden = config === null;
    if (config !== null) this.chart = new Chart(this.canvas, directed(config));
    this.tableBox.replaceChildren(tableOf(this.options.title, table));
    this.el.dataset.state = "ready";
    this.el.removeAttribute("aria-busy");
  }

  /** The chart's CSV, fetched with the token and saved. */
  private async download(): Promise<void> {
    setText(this.status, "");
    try {
      save(await this.api().csv(this.options.endpoint, this.params), `${this.options.key}.csv`);
    } catch (err) {
      setText(this.status, t("chart.csv_failed", { error: err instanceof Error ? err.message : String(err) }));
    }
  }

  private destroyChart(): void {
    this.chart?.destroy();
    this.chart = null;
  }
}

function tableOf(title: string, data: TableData): HTMLElement {
  const table = h("table", { class: "db-table" },
    h("caption", { class: "db-visually-hidden" }, title),
    h("thead", null, h("tr", null, ...data.columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, ...data.rows.map((row) => h("tr", null, ...row.map((cell, i) => {
      const attrs = { "data-value": cell.value === undefined || cell.value === null ? null : String(cell.value) };
      return i === 0 ? h("th", { scope: "row", ...attrs }, cell.text) : h("td", attrs, cell.text);
    })))));
  return data.note ? h("div", null, table, h("p", { class: "db-note" }, data.note)) : table;
}
