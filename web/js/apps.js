// The HTTP API as the dashboard uses it beside its WebSocket: the caller's apps (for the app
// switcher) and exports of what is shown, with its filters, as NDJSON or CSV.

// http(s)://host/<path>/ of the server behind a ws(s)://host/<path>/ws URL.
export function httpBase(wsUrl) {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = url.pathname.replace(/ws$/, '');
  url.search = '';
  url.hash = '';
  return url.href;
}

function headers(session) {
  const h = { 'X-Smartlog-User': session.userId };
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  return h;
}

// {userId, apps: [{id, name, active, permissions, messageRate, errorRate}]}; throws with the
// server's message when refused.
export async function fetchApps(session) {
  const res = await fetch(new URL('api/v1/apps', httpBase(session.url)), { headers: headers(session) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
  return body;
}

// The query of GET /api/v1/logs for these filters (see README, "HTTP API").
export function logsQuery(appId, { levels, allLevels, start, end, search }, format, limit = 1000) {
  const params = new URLSearchParams({ app: appId, limit: String(limit) });
  if (levels && levels.length < allLevels.length) params.set('level', levels.join(','));
  if (start !== undefined) params.set('start', String(start));
  if (end !== undefined) params.set('end', String(end));
  if (search) params.set('q', search);
  if (format) params.set('format', format);
  return params;
}

// Downloads the newest `limit` stored entries that pass the filters, as the file the server
// names. Resolves to the number of bytes saved; throws with the server's reason.
export async function exportLogs(session, filters, format) {
  const url = new URL(`api/v1/logs?${logsQuery(session.appId, filters, format)}`, httpBase(session.url));
  const res = await fetch(url, { headers: headers(session) });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body?.error?.message || `HTTP ${res.status}`);
  }
  const blob = await res.blob();
  const disposition = res.headers.get('content-disposition') || '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `logs.${format}`;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return blob.size;
}
