/**
 * health — disk, memory and load checks over your nodes, with thresholds; marks failing nodes.
 *
 *   health                              every running node of the working set, default thresholds
 *   health worker* --disk 80 --mem 95   any target; thresholds in percent
 *   health --load 1.5                   load average (1 min) per CPU core
 *
 * Install: copy this one file into your plugins folder:
 *
 *   cp health.mjs ~/.cluster/plugins/            # or "$DUST_HOME/plugins/"
 *   dust -c plugins                              # lists health and its file
 *
 * What it does, per node, in one shell line through dust's persistent sessions:
 *   disk  the fullest local file system (`df -P`), fails at or above --disk percent (default 90)
 *   mem   used memory from /proc/meminfo (MemTotal - MemAvailable), fails at or above --mem (default 90)
 *   load  1-minute load average divided by the CPU count, fails at or above --load (default 2.0)
 * and prints one table with ✔/✖ per check.
 *
 * Annotations (persisted by dust in $DUST_HOME/state/annotations.json, usable in targets):
 *   health=failing   + health_reason=<why>   on a node that failed a check
 *   health=unreachable                        on a node that could not be reached
 *   health=lost      + health_reason=<why>   when dust loses the connection to a node (node:lost event)
 * A node that passes every check has both annotations cleared. So, after `health`:
 *   `show annotation=health:failing`         the failing nodes
 *   `@*!annotation=health uptime`            only the nodes with no health annotation
 *
 * It imports nothing from dust at run time: the types below are JSDoc only.
 */

const DEFAULTS = { disk: 90, mem: 90, load: 2.0 };

const PROBE = [
  'echo "dust-health:cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)"',
  'echo "dust-health:load=$(cut -d" " -f1 /proc/loadavg 2>/dev/null)"',
  "awk '/^MemTotal:/{t=$2} /^MemAvailable:/{a=$2} END{print \"dust-health:mem=\" t \" \" a}' /proc/meminfo 2>/dev/null",
  "{ df -P -l -x tmpfs -x devtmpfs -x squashfs 2>/dev/null || df -P; } | awk 'NR>1{print \"dust-health:disk=\" $5 \" \" $6}'",
].join('; ');

/**
 * @param {readonly string[]} lines
 * @returns {{ cores: number, load: number, memUsedPct: number, disk: { pct: number, mount: string } | undefined }}
 */
function parseProbe(lines) {
  let cores = NaN;
  let load = NaN;
  let memUsedPct = NaN;
  /** @type {{ pct: number, mount: string } | undefined} */
  let disk;
  for (const raw of lines) {
    const m = /^dust-health:(\w+)=(.*)$/.exec(raw.trim());
    if (!m) continue;
    const [key, value] = [m[1], m[2].trim()];
    if (key === 'cores') cores = Number(value);
    else if (key === 'load') load = Number(value);
    else if (key === 'mem') {
      const [total, avail] = value.split(/\s+/).map(Number);
      if (total > 0 && Number.isFinite(avail)) memUsedPct = 100 * (1 - avail / total);
    } else if (key === 'disk') {
      const [pctText, mount] = value.split(/\s+/);
      const pct = Number(String(pctText).replace('%', ''));
      if (Number.isFinite(pct) && (!disk || pct > disk.pct)) disk = { pct, mount: mount ?? '?' };
    }
  }
  return { cores, load, memUsedPct, disk };
}

/** dust parses number flags itself (`--disk lots` never gets here); only the sign is ours to check. */
/** @param {number | undefined} value @param {number} fallback @param {string} name */
function threshold(value, fallback, name) {
  if (value === undefined) return fallback;
  if (value < 0) throw new Error(`health: --${name} takes a number of 0 or more, not ${value}`);
  return value;
}

/** @type {import('dust-shell/plugin').DustPlugin} */
export default {
  name: 'health',
  apiVersion: 2,
  dust: '>=0.1',
  description: 'disk, memory and load checks with thresholds; annotates failing and lost nodes',
  setup(api) {
    // api.state is the cluster state commands see as ctx.state: handlers can act outside any command.
    api.on('node:lost', async ({ node, reason }) => {
      await api.state.annotate(node, 'health', 'lost');
      await api.state.annotate(node, 'health_reason', reason);
    });

    api.registerCommand({
      name: 'health',
      usage: 'health [target] [--disk 90] [--mem 90] [--load 2.0]',
      summary: 'check disk, memory and load per node; annotate failing nodes health=failing',
      help: 'Checks the fullest local disk (percent used), memory in use (percent) and the 1-minute load per\n'
        + 'CPU core on every targeted running node, prints one table with ✔/✖ per check, and sets the\n'
        + 'annotation health=failing (reasons in health_reason) on failing nodes, clearing both on healthy\n'
        + 'ones. Unreachable nodes get health=unreachable; nodes whose connection drops get health=lost.\n'
        + 'Select them later with `show annotation=health:failing` or skip them with `@*!annotation=health cmd`.',
      examples: ['health', 'health worker* --disk 80', 'health --load 1.5', 'show annotation=health:failing'],
      target: { mode: 'optional', states: ['running'] },
      flags: {
        disk: { type: 'number', description: `fail at or above this disk use, percent (default ${DEFAULTS.disk})` },
        mem: { type: 'number', description: `fail at or above this memory use, percent (default ${DEFAULTS.mem})` },
        load: { type: 'number', description: `fail at or above this load per core (default ${DEFAULTS.load})` },
      },
      async run(ctx) {
        let limits;
        try {
          limits = {
            disk: threshold(ctx.flags.disk, DEFAULTS.disk, 'disk'),
            mem: threshold(ctx.flags.mem, DEFAULTS.mem, 'mem'),
            load: threshold(ctx.flags.load, DEFAULTS.load, 'load'),
          };
        } catch (err) {
          ctx.out.error(`${/** @type {Error} */ (err).message} (usage: health [target] [--disk 90] [--mem 90] [--load 2.0])`);
          return false;
        }
        const results = await ctx.sessions.run(ctx.nodes, PROBE, { signal: ctx.signal });
        /** @type {string[][]} */
        const rows = [];
        let failing = 0;
        for (const r of results) {
          if (r.status !== 'ok') {
            failing++;
            rows.push([r.node.name, '', '', '', `✖ ${r.status}${r.error ? `: ${r.error.message}` : ''}`]);
            if (r.status === 'unreachable') {
              await ctx.state.annotate(r.node, 'health', 'unreachable');
              await ctx.state.annotate(r.node, 'health_reason', r.error?.message ?? 'unreachable');
            }
            continue;
          }
          const p = parseProbe(r.output);
          /** @type {string[]} */
          const reasons = [];
          const check = (/** @type {boolean} */ measured, /** @type {boolean} */ ok, /** @type {string} */ text, /** @type {string} */ reason) => {
            if (!measured) {
              reasons.push(`${reason}: not measurable`);
              return `✖ ?`;
            }
            if (!ok) reasons.push(reason);
            return `${ok ? '✔' : '✖'} ${text}`;
          };
          const diskCell = check(p.disk !== undefined, p.disk !== undefined && p.disk.pct < limits.disk,
            p.disk ? `${p.disk.pct}% ${p.disk.mount}` : '', p.disk ? `disk ${p.disk.pct}% on ${p.disk.mount} (limit ${limits.disk}%)` : 'disk');
          const memCell = check(Number.isFinite(p.memUsedPct), p.memUsedPct < limits.mem,
            `${Math.round(p.memUsedPct)}%`, `memory ${Math.round(p.memUsedPct)}% (limit ${limits.mem}%)`);
          const perCore = p.load / (p.cores > 0 ? p.cores : 1);
          const loadCell = check(Number.isFinite(perCore), perCore < limits.load,
            `${perCore.toFixed(2)}/core`, `load ${perCore.toFixed(2)} per core (limit ${limits.load})`);
          const ok = reasons.length === 0;
          if (!ok) failing++;
          rows.push([r.node.name, diskCell, memCell, loadCell, ok ? '✔ healthy' : '✖ failing']);
          await ctx.state.annotate(r.node, 'health', ok ? undefined : 'failing');
          await ctx.state.annotate(r.node, 'health_reason', ok ? undefined : reasons.join('; '));
        }
        ctx.out.table(['node', 'disk', 'mem', 'load', 'health'], rows);
        if (ctx.skipped.length > 0) ctx.out.warn(`health: skipped ${ctx.skipped.length} node(s) that are not running`);
        if (failing > 0) ctx.out.warn(`health: ${failing} of ${results.length} node(s) failing; see them with: show annotation=health`);
        return failing === 0;
      },
    });
  },
};
