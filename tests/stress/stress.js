// `make stress`: smartlogd's limits under load and its bounds against hostile clients, against a
// release build on loopback. Not part of `make test`: it opens over 10,000 sockets, pushes the
// server to gigabytes in places, and takes a few minutes.
//
// Two groups of probes, each in tests/stress/probes/:
// - limits.js: the connection and rate limits (1,100 connections, slowloris, a noisy app, 10,000
//   idle connections, 100 stalled viewers);
// - one module per row of the hostile table (rows 1-16): what a hostile or buggy client does,
//   the figure it leads to, and the bound SPEC 3.3 / docs/security.md promise.
// Every probe is bounded in time (its budget; past it, its servers and children are killed and
// it FAILs), every server in memory (STRESS_RSS_CAP, default 3 GiB: past it, it is killed).
// Each prints its figures with PASS or FAIL against its bound, and the run ends with a summary
// table (markdown); the exit status is non-zero when any fails.
//
//   node tests/stress/stress.js [--only name,name,3,14] [--skip name,...] [--list]
//   (groups: --only limits, --only hostile)
//
// Names are the probes' (--list); numbers pick rows of the hostile table. STRESS_BUDGET_SCALE
// multiplies every probe's time budget; STRESS_RSS_CAP (bytes) caps each server's memory. SMARTLOG_BIN names
// the server binary (default build/release/app/smartlogd). Needs `ulimit -n` of at least 12,000
// (the Makefile raises it to 20,000).
'use strict';
const lib = require('./lib');

// A slower machine may scale every probe's time budget (e.g. STRESS_BUDGET_SCALE=2).
const BUDGET_SCALE = Number(process.env.STRESS_BUDGET_SCALE || 1);

const PROBES = [
  ...require('./probes/limits'),
  require('./probes/r01_durability'),
  require('./probes/r02_metrics_flood'),
  require('./probes/r03_history_flood'),
  require('./probes/r04_filter_levels'),
  require('./probes/r05_search'),
  require('./probes/r06_reauth'),
  require('./probes/r07_open_apps'),
  require('./probes/r08_hog'),
  require('./probes/r09_metrics_anon'),
  require('./probes/r10_second_server'),
  require('./probes/r11_retention'),
  require('./probes/r12_query_starve'),
  require('./probes/r13_ping_flood'),
  require('./probes/r14_deflate'),
  require('./probes/r15_frames'),
  require('./probes/r16_spike'),
];

function listArg(flag) {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1].split(',').filter(Boolean) : null;
}

function pick() {
  // A key is a probe's name, its row number, or a group: `limits` (no row) or `hostile` (rows).
  const matches = (p, key) => p.name === key || (p.row !== undefined && String(p.row) === key)
    || (key === 'limits' && p.row === undefined) || (key === 'hostile' && p.row !== undefined);
  const only = listArg('--only');
  const skip = listArg('--skip') || [];
  for (const key of [...(only || []), ...skip]) {
    if (!PROBES.some((p) => matches(p, key))) throw new Error(`unknown probe ${key} (--list shows them)`);
  }
  return PROBES.filter((p) => (!only || only.some((k) => matches(p, k))) && !skip.some((k) => matches(p, k)));
}

async function runProbe(probe) {
  const label = probe.row !== undefined ? `${probe.row}. ${probe.name}` : probe.name;
  console.log(`\n[${label}] ${probe.title}\n  bound: ${probe.bound}`);
  const checks = [];
  let headline;
  const t = {
    record(figure, value, pass) {
      checks.push({ figure, value, pass });
      const verdict = pass === undefined ? '' : pass ? '  PASS' : '  FAIL';
      console.log(`  ${figure.padEnd(62)} ${String(value)}${verdict}`);
    },
    // The one figure the summary table shows for this probe.
    headline(text) { headline = text; },
  };
  const started = Date.now();
  try {
    await lib.withTimeout(probe.run(t), probe.budgetMs * BUDGET_SCALE, `${probe.name} budget`);
  } catch (e) {
    t.record('probe did not complete', e.message, false);
  } finally {
    lib.killAll();
    lib.removeDirs();
  }
  const seconds = (Date.now() - started) / 1000;
  const failed = checks.filter((c) => c.pass === false);
  const pass = failed.length === 0 && checks.some((c) => c.pass === true);
  console.log(`  => ${pass ? 'PASS' : 'FAIL'} (${seconds.toFixed(1)} s)`);
  return { probe, label, checks, failed, pass, seconds, headline: headline || (checks.at(-1) ? `${checks.at(-1).figure}: ${checks.at(-1).value}` : '') };
}

function summary(outcomes) {
  console.log('\n## Summary\n');
  console.log('| # | probe | bound | figure | verdict | s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  for (const o of outcomes) {
    console.log(`| ${o.probe.row ?? ''} | ${o.probe.name} | ${cell(o.probe.bound)} | ${cell(o.headline)} | ${o.pass ? 'PASS' : 'FAIL'} | ${o.seconds.toFixed(0)} |`);
  }
  const failed = outcomes.filter((o) => !o.pass);
  console.log(`\n${outcomes.length - failed.length} probes passed, ${failed.length} failed`);
  for (const o of failed) {
    for (const c of o.failed) console.log(`  FAIL ${o.label}: ${c.figure}: ${c.value}`);
  }
  return failed.length;
}

async function main() {
  if (process.argv.includes('--list')) {
    for (const p of PROBES) console.log(`${String(p.row ?? '').padStart(2)} ${p.name.padEnd(16)} ${p.title}`);
    return 0;
  }
  const probes = pick();
  console.log(`smartlogd: ${process.env.SMARTLOG_BIN}; RSS cap per server ${lib.mib(lib.RSS_CAP)}; ${probes.length} probes`);
  const outcomes = [];
  for (const probe of probes) outcomes.push(await runProbe(probe));
  return summary(outcomes) ? 1 : 0;
}

// A probe abandoned at its budget keeps running in the background until its awaits fail: what
// it throws then must not end the run. Whatever happens, no server or child outlives the run.
process.on('uncaughtException', (e) => console.log(`  (late error, ignored: ${e.message})`));
process.on('unhandledRejection', (e) => console.log(`  (late rejection, ignored: ${e && e.message})`));
process.on('exit', () => lib.killAll());

// The whole run is bounded, whatever hangs.
setTimeout(() => { console.error('stress: over 14 minutes, giving up'); lib.killAll(); process.exit(2); }, 840000).unref();
main().then((code) => { lib.killAll(); process.exit(code); }, (e) => { console.error(e); lib.killAll(); process.exit(2); });
