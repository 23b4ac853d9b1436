/**
 * openport — list or open the inbound rules of an EC2 security group (the original dust's command).
 *
 *   openport sg-0123456789abcdef0                  list its inbound rules as a table
 *   openport web-sg                                by group name (default VPC) works too
 *   openport sg-0123… 8080 203.0.113.0/24          allow TCP 8080 from that network
 *   openport sg-0123… 8000-8080 10.0.0.0/8         a port range
 *   openport sg-0123… 443 --world                  allow TCP 443 from anywhere (0.0.0.0/0)
 *
 * Unlike the original, it will not open a port to the whole internet by default: with no CIDR (or with
 * 0.0.0.0/0 or ::/0) it refuses and tells you to name a network or say --world.
 *
 * Install: copy this one file into your plugins folder, in a dust session with EC2 enabled (a region):
 *
 *   cp openport.mjs ~/.cluster/plugins/          # or "$DUST_HOME/plugins/"
 *   dust -c plugins                              # lists openport and its file
 *
 * It uses the EC2 client of the current region and the AWS SDK module dust itself loaded (for the command
 * classes), both from the EC2 integration: `ctx.use('ec2')` gives `{ client(), sdk(), region }`. A file in ~/.cluster/plugins
 * cannot `import '@aws-sdk/client-ec2'` itself: Node resolves packages from the importing file's folder,
 * and dust's node_modules are not there. It imports nothing at run time: the types are JSDoc only.
 */
/**
 * The inbound-rule fields this file reads (the SDK's IpPermission; its own types do not resolve from the
 * plugins folder, dust's do: `tsc --checkJs` checks this file as it is).
 * @typedef {{ IpProtocol?: string, FromPort?: number, ToPort?: number,
 *   IpRanges?: { CidrIp?: string, Description?: string }[], Ipv6Ranges?: { CidrIpv6?: string, Description?: string }[],
 *   UserIdGroupPairs?: { GroupId?: string, GroupName?: string, Description?: string }[],
 *   PrefixListIds?: { PrefixListId?: string, Description?: string }[] }} IpPermission
 */

const WORLD = new Set(['0.0.0.0/0', '::/0']);

/** @param {string} text @returns {{ from: number, to: number } | undefined} */
function parsePorts(text) {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = Number(m[2] ?? m[1]);
  return from >= 1 && to <= 65535 && from <= to ? { from, to } : undefined;
}

/** @param {string} text @returns {'v4' | 'v6' | undefined} */
function cidrKind(text) {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32 ? 'v4' : undefined;
  const v6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(text);
  return v6 && v6[1].includes(':') && Number(v6[2]) <= 128 ? 'v6' : undefined;
}

/** @param {IpPermission} p */
function portText(p) {
  if (p.IpProtocol === '-1') return 'all';
  if (p.FromPort === undefined || p.FromPort === -1) return 'all';
  return p.FromPort === p.ToPort ? String(p.FromPort) : `${p.FromPort}-${p.ToPort}`;
}

/** One row per source, as the EC2 console shows them. @param {IpPermission[]} perms */
function ruleRows(perms) {
  /** @type {string[][]} */
  const rows = [];
  for (const p of perms) {
    const proto = p.IpProtocol === '-1' ? 'all' : (p.IpProtocol ?? '?');
    const ports = portText(p);
    for (const r of p.IpRanges ?? []) rows.push([proto, ports, r.CidrIp ?? '', r.Description ?? '']);
    for (const r of p.Ipv6Ranges ?? []) rows.push([proto, ports, r.CidrIpv6 ?? '', r.Description ?? '']);
    for (const g of p.UserIdGroupPairs ?? []) rows.push([proto, ports, `group ${g.GroupId ?? g.GroupName ?? '?'}`, g.Description ?? '']);
    for (const l of p.PrefixListIds ?? []) rows.push([proto, ports, `prefix list ${l.PrefixListId ?? '?'}`, l.Description ?? '']);
  }
  return rows;
}

/** @param {unknown} err */
function ec2Message(err) {
  const e = /** @type {{ name?: string, Code?: string, message?: string }} */ (err);
  return `${e.Code ?? e.name ?? 'Error'}: ${String(e.message ?? err).split('\n')[0]}`;
}

/**
 * The EC2 integration's accessor, typed from `dust-shell/ec2` (undefined when EC2 is off in this session).
 * @param {{ use(name: string): unknown }} ctx @returns {import('dust-shell/ec2').Ec2Access | undefined}
 */
function ec2Of(ctx) {
  return /** @type {import('dust-shell/ec2').Ec2Access | undefined} */ (ctx.use('ec2'));
}

/** @type {import('dust-shell/plugin').DustPlugin} */
export default {
  name: 'openport',
  apiVersion: 2,
  dust: '>=0.1',
  description: "list or open a security group's inbound TCP rules",
  setup(api) {
    api.registerCommand({
      name: 'openport',
      usage: 'openport <security-group> [port[-port]] [cidr] [--world]',
      summary: 'list the inbound rules of a security group, or allow a TCP port from a network',
      help: 'With only a group (id sg-… or name), lists its inbound rules. With a port (or range), allows TCP\n'
        + 'on it from the CIDR (IPv4 or IPv6). Opening to everyone (no CIDR, 0.0.0.0/0 or ::/0) needs --world.\n'
        + 'Uses the current region (see `use <region>`).',
      examples: ['openport sg-0123456789abcdef0', 'openport web-sg 8080 203.0.113.0/24', 'openport web-sg 443 --world'],
      target: { mode: 'none' },
      flags: { world: { type: 'boolean', description: 'allow opening to 0.0.0.0/0 (the whole internet)' } },
      async complete(ctx) {
        if (ctx.args.length > 0) return [];
        try {
          const ec2 = ec2Of(ctx);
          if (!ec2) return [];
          const sdk = await ec2.sdk();
          const out = await (await ec2.client()).send(new sdk.DescribeSecurityGroupsCommand({}));
          return (out.SecurityGroups ?? []).flatMap((g) => [g.GroupId ?? '', g.GroupName ?? '']).filter((w) => w !== '' && w.startsWith(ctx.word));
        } catch {
          return [];
        }
      },
      async run(ctx) {
        const [group, portsText, cidrText, ...extra] = ctx.positionals;
        const usage = 'usage: openport <security-group> [port[-port]] [cidr] [--world]';
        if (group === undefined || extra.length > 0) {
          ctx.out.error(`openport: ${group === undefined ? 'name a security group (sg-… or its name)' : `unexpected '${extra.join(' ')}'`} — ${usage}`);
          return false;
        }
        const ec2 = ec2Of(ctx);
        if (!ec2) return ctx.fail('openport needs EC2, and it is not enabled in this session', { hint: 'set a region (--region, AWS_REGION)', code: 'OPENPORT_NO_EC2' });
        const client = await ec2.client();
        const sdk = await ec2.sdk();
        const byId = /^sg-[0-9a-f]+$/.test(group);
        let sg;
        try {
          const out = await client.send(new sdk.DescribeSecurityGroupsCommand(byId ? { GroupIds: [group] } : { Filters: [{ Name: 'group-name', Values: [group] }] }), { abortSignal: ctx.signal });
          sg = out.SecurityGroups?.[0];
        } catch (err) {
          ctx.out.error(`openport: cannot read security group '${group}': ${ec2Message(err)}`);
          return false;
        }
        if (!sg?.GroupId) {
          ctx.out.error(`openport: no security group '${group}' in ${ctx.state.region ?? 'this region'} — list them with the AWS console or name it by id`);
          return false;
        }
        const label = `${sg.GroupId}${sg.GroupName ? ` (${sg.GroupName})` : ''}`;

        if (portsText === undefined) {
          const rows = ruleRows(sg.IpPermissions ?? []);
          if (rows.length === 0) ctx.out.info(`${label}: no inbound rules`);
          else ctx.out.table(['protocol', 'ports', 'source', 'description'], rows);
          return true;
        }

        const ports = parsePorts(portsText);
        if (!ports) {
          ctx.out.error(`openport: '${portsText}' is not a port (1-65535) or a range such as 8000-8080 — ${usage}`);
          return false;
        }
        const cidr = cidrText ?? '0.0.0.0/0';
        const kind = cidrKind(cidr);
        if (!kind) {
          ctx.out.error(`openport: '${cidr}' is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32`);
          return false;
        }
        const portLabel = ports.from === ports.to ? `${ports.from}` : `${ports.from}-${ports.to}`;
        if (WORLD.has(cidr) && ctx.flags.world !== true) {
          ctx.out.error(`openport: refusing to open tcp/${portLabel} of ${label} to the whole internet (${cidr})`
            + ` — name the network that needs it (openport ${group} ${portLabel} 203.0.113.0/24), or add --world if you mean everyone`);
          return false;
        }
        const range = kind === 'v4'
          ? { IpRanges: [{ CidrIp: cidr, Description: 'opened by dust openport' }] }
          : { Ipv6Ranges: [{ CidrIpv6: cidr, Description: 'opened by dust openport' }] };
        try {
          await client.send(new sdk.AuthorizeSecurityGroupIngressCommand({
            GroupId: sg.GroupId,
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: ports.from, ToPort: ports.to, ...range }],
          }), { abortSignal: ctx.signal });
        } catch (err) {
          const code = /** @type {{ name?: string }} */ (err).name;
          if (code === 'InvalidPermission.Duplicate') {
            ctx.out.error(`openport: ${label} already allows tcp/${portLabel} from ${cidr} — nothing to do (list the rules: openport ${group})`);
          } else {
            ctx.out.error(`openport: could not open tcp/${portLabel} of ${label} from ${cidr}: ${ec2Message(err)}`);
          }
          return false;
        }
        ctx.out.success(`${label}: allowed tcp/${portLabel} from ${cidr}`);
        return true;
      },
    });
  },
};
