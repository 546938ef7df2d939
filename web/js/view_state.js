// The view in the page's URL, so that it can be bookmarked, shared and reloaded: the app, the
// levels shown, the search, the time range and whether the list is paused. Never the token.
//   ?app=shop&levels=warn,error,fatal&q=status%3E%3D500&from=1714564800000&to=1714568400000&paused=1

// What the URL says; absent fields are undefined (the page's defaults apply).
export function readViewState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const number = (name) => {
    const v = params.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const levels = params.get('levels');
  return {
    app: params.get('app') || undefined,
    levels: levels === null ? undefined : levels.split(',').filter(Boolean),
    q: params.get('q') ?? undefined,
    from: number('from'),
    to: number('to'),
    paused: params.get('paused') === '1',
  };
}

// Rewrites the URL in place (no new history entry per keystroke). Default values are left out,
// so a plain view has a plain URL; parameters this module does not own are kept.
export function writeViewState({ app, levels, allLevels, q, from, to, paused }) {
  const url = new URL(window.location.href);
  const set = (name, value) => {
    if (value === undefined || value === '' || value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, String(value));
  };
  set('app', app);
  set('levels', levels && allLevels && levels.length < allLevels.length ? levels.join(',') : undefined);
  set('q', q);
  set('from', from);
  set('to', to);
  set('paused', paused ? '1' : undefined);
  url.searchParams.delete('appId');  // the older sign-in prefill: `app` says it now
  if (url.href !== window.location.href) window.history.replaceState(null, '', url.href);
}
