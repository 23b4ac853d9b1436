/**
 * uptime-report — one table of load average, uptime and logged-in users across your nodes.
 *
 *   uptime-report              every running node of the working set
 *   uptime-report worker*      any target expression
 *
 * Install: copy this one file into your plugins folder and check that dust sees it:
 *
 *   cp uptime-report.mjs ~/.cluster/plugins/      # or "$DUST_HOME/plugins/"
 *   dust -c plugins                               # lists uptime-report and its file
 *   dust -c 'help uptime-report'
 *
 * It runs ONE short shell line per node through dust's persistent sessions (the same shells `@` uses),
 * reading /proc/loadavg, /proc/uptime and `who`, which every Linux has (no procps needed). Nodes that
 * cannot be reached, or are not running, are rows in the table too, so nothing disappears silently.
 * It imports nothing from dust at run time: the types below are JSDoc only.
 */

/** Each value on its own tagged line, so a login banner or a noisy .bashrc cannot confuse the parser. */
const PROBE = [
  'echo "dust-uptime:load=$(cat /proc/loadavg 2>/dev/null)"',
  'echo "dust-uptime:up=$(cat /proc/uptime 2>/dev/null)"',
  'echo "dust-uptime:users=$(who 2>/dev/null | wc -l)"',
].join('; ');

/** @param {readonly string[]} lines */
function parseProbe(lines) {
  /** @type {Record<string, string>} */
  const values = {};
  for (const line of lines) {
    const m = /^dust-uptime:(\w+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]] = m[2].trim();
  }
  const load = (values.load ?? '').split(/\s+/);
  const seconds = Number((values.up ?? '').split(/\s+/)[0]);
  return {
    load1: load[0] || '?',
    load5: load[1] || '?',
    load15: load[2] || '?',
    uptime: Number.isFinite(seconds) && values.up ? formatDuration(seconds) : '?',
    users: values.users ?? '?',
  };
}

/** 273905 → `3d 4h 5m` (what `uptime -p` says, shorter). @param {number} seconds */
function formatDuration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}

/** @type {import('dust-shell/plugin').DustPlugin} */
export default {
  name: 'uptime-report',
  apiVersion: 2,
  dust: '>=0.1',
  description: 'one table of load, uptime and users across the targeted nodes',
  setup(api) {
    api.registerCommand({
      name: 'uptime-report',
      usage: 'uptime-report [target]',
      summary: 'one table of load (1/5/15 min), uptime and logged-in users per node',
      help: 'Runs one short command on every targeted running node (in its persistent session) and prints\n'
        + 'one table: node, load 1/5/15, uptime, users. Unreachable and stopped nodes are rows too.',
      examples: ['uptime-report', 'uptime-report worker*', 'uptime-report cluster=slurm1'],
      target: { mode: 'optional', states: ['running'] },
      async run(ctx) {
        const progress = ctx.out.progress(`uptime-report: asking ${ctx.nodes.length} node(s)`);
        const results = await ctx.sessions.run(ctx.nodes, PROBE, { signal: ctx.signal });
        progress.done();
        /** @type {string[][]} */
        const rows = [];
        let bad = 0;
        for (const r of results) {
          if (r.status === 'ok') {
            const p = parseProbe(r.output);
            rows.push([r.node.name, p.load1, p.load5, p.load15, p.uptime, p.users]);
          } else {
            bad++;
            const why = r.status === 'unreachable' ? 'unreachable' : r.status;
            rows.push([r.node.name, why, '', '', r.error ? r.error.message : '', '']);
          }
        }
        for (const n of ctx.skipped) rows.push([n.name, n.state, '', '', '', '']);
        ctx.out.table(['node', 'load 1m', '5m', '15m', 'uptime', 'users'], rows);
        return bad === 0;
      },
    });
  },
};
