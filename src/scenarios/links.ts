import type { ScenarioView } from './types.js';

export interface Link {
  readonly label: string;
  readonly url: string;
}

/** A page of the web UI the query API serves, e.g. http://127.0.0.1:16686/search?service=…. */
export function viewUrl(queryUrl: string, view: ScenarioView): string {
  const base = queryUrl.replace(/\/+$/, '');
  const query = new URLSearchParams(view.query ?? {}).toString();
  return `${base}/${view.page}${query ? `?${query}` : ''}`;
}

export function viewLinks(queryUrl: string, views: readonly ScenarioView[]): Link[] {
  return views.map((v) => ({ label: v.look, url: viewUrl(queryUrl, v) }));
}
