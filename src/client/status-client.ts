/** `dust status [--json]`: what a running server holds (sessions, who runs what, attached clients). */
import { ClientRequests, type StatusResult } from '../server/protocol.js';
import type { ServerConnection } from './connection.js';

function ago(ms: number | undefined): string {
  if (ms === undefined) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export async function printStatus(server: ServerConnection, json: boolean): Promise<number> {
  const st = await server.conn.sendRequest<StatusResult>(ClientRequests.status, {});
  server.close();
  if (json) {
    process.stdout.write(`${JSON.stringify({ type: 'status', ...st })}\n`);
    return 0;
  }
  const now = Date.now();
  const lines: string[] = [];
  lines.push(`dust serve ${st.server.version} · pid ${st.server.pid} · up ${ago(now - st.server.startedAt)} · ${st.server.socket}${st.server.config ? ` · ${st.server.config}` : ''}`);
  const rows = st.sessions.map((s) => [s.node, s.state, ago(s.idleMs), s.holder ? `${s.holder.owner}: ${s.holder.command}` : '']);
  const head = ['node', 'state', 'idle', 'busy'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  lines.push('', `${st.sessions.length} session${st.sessions.length === 1 ? '' : 's'}`);
  if (rows.length > 0) lines.push(fmt(head), ...rows.map(fmt));
  const clients = st.clients.filter((c) => c.kind !== 'status');
  lines.push('', `${clients.length} client${clients.length === 1 ? '' : 's'} attached`);
  for (const c of clients) lines.push(`  ${c.label} (${c.kind}) since ${ago(now - c.since)} ago${c.busy ? ` · running: ${c.busy}` : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
