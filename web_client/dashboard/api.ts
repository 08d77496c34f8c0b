/**
 * The analytics REST API (docs/analytics.md, `/api/v1/analytics/...`) with the signed-in
 * person's token in the Authorization header, never in a URL: JSON answers, and CSV
 * files saved through a blob (a plain link could not carry the header).
 */

/** A refusal: the HTTP status and the server's error code and sentence. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

export type Params = Record<string, string | number | null | undefined>;

/** The path and query of an analytics endpoint (what the CSV links show). */
export function analyticsUrl(endpoint: string, params: Params): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return `/api/v1/analytics/${endpoint}${text ? `?${text}` : ""}`;
}

export class Api {
  constructor(private readonly token: string, private readonly onRefused: (err: ApiError) => void = () => {}) {}

  private async fetch(url: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { Authorization: `Bearer ${this.token}` }, cache: "no-store" });
    } catch (err) {
      throw new ApiError(0, "unavailable", err instanceof Error ? err.message : String(err));
    }
    if (response.ok) return response;
    let code = "internal";
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      code = body?.error?.code ?? code;
      message = body?.error?.message ?? message;
    } catch {
      // not JSON: the status says it
    }
    const err = new ApiError(response.status, code, message);
    if (response.status === 401) this.onRefused(err);
    throw err;
  }

  async json<T>(endpoint: string, params: Params): Promise<T> {
    return (await this.fetch(analyticsUrl(endpoint, params))).json() as Promise<T>;
  }

  async csv(endpoint: string, params: Params): Promise<Blob> {
    return (await this.fetch(analyticsUrl(endpoint, { ...params, format: "csv" }))).blob();
  }
}

/** Save a blob as a file named `name` (a click on a temporary blob: link). */
export function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---------------------------------------------------------------------------- answers

export interface Range {
  party: string | null;
  media: string | null;
  since: number;
  until: number;
}

export interface SummaryAnswer {
  range: Range;
  metrics: {
    sessions: number;
    unique_viewers: number;
    returning_viewers: number;
    parties: number;
    session_duration_mean_s: number | null;
    session_duration_median_s: number | null;
    watch_time_s: number;
    watch_time_per_viewer_s: number | null;
    peak_viewers: number;
    average_viewers: number;
    average_party_size: number | null;
    messages: number;
    reactions: number;
    engagement_per_minute: number | null;
  };
}

export interface ConcurrencyAnswer {
  range: Range;
  peak: number;
  peak_at: number | null;
  average: number;
  points: Array<{ t: number; viewers: number; average: number }>;
}

export interface RetentionAnswer {
  range: Range;
  media: string | null;
  unit: "second" | "percent";
  views: number;
  intro_retention: number | null;
  data: Array<{ second?: number; percent?: number; retentionPercent: number }>;
}

export interface Moment {
  start_s: number;
  end_s: number;
  reactions: number;
  messages: number;
  rewatches: number;
  viewers: number;
  score: number;
}

export interface MomentsAnswer {
  range: Range;
  media: string | null;
  buckets: Moment[];
  top: Moment[];
}

export interface Step {
  step: string;
  count: number;
  conversion: number | null;
}

export interface FunnelsAnswer {
  range: Range;
  invite: Step[];
  share: Step[];
}

export interface Ranked {
  id: string;
  sessions: number;
  unique_viewers: number;
  watch_time_s: number;
  messages: number;
  reactions: number;
  about: { title?: string | null; url?: string; duration_s?: number | null; live?: boolean };
}

export interface TopAnswer {
  range: Range;
  by: "parties" | "media";
  items: Ranked[];
}
