import type { StaticNodeConfig } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { expandNodeRange } from '../targets/index.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { InventoryProvider, NodeDraft } from './provider.js';

/**
 * Nodes written in config under `nodes:`. A name may be a range (`worker[0-3]`) with a host range of the
 * same length (`10.0.0.[10-13]`) or one host for all, so a 200-node rack is one entry.
 */
export class StaticProvider implements InventoryProvider {
  readonly name = 'static';
  constructor(private readonly entries: readonly StaticNodeConfig[], private readonly file: string | undefined) {}

  list(): Promise<NodeDraft[]> {
    return Promise.resolve(this.entries.flatMap((entry, i) => this.expand(entry, i)));
  }

  private expand(entry: StaticNodeConfig, i: number): NodeDraft[] {
    const names = expandNodeRange(entry.name);
    const hosts = expandNodeRange(entry.host);
    if (hosts.length !== 1 && hosts.length !== names.length) {
      throw new DustError(ErrorCodes.ConfigInvalid,
        `config: ${this.file ?? 'config'}: nodes[${i}]: name '${entry.name}' gives ${names.length} nodes but host '${entry.host}' gives ${hosts.length}`,
        { hint: 'use one host, or a host range with as many members as the name range' });
    }
    return names.map((name, j) => ({
      name,
      source: this.name,
      cluster: entry.cluster,
      state: entry.state ?? 'running',
      host: hosts.length === 1 ? hosts[0]! : hosts[j]!,
      port: entry.port ?? 22,
      user: entry.user,
      identityFile: entry.identityFile ? expandHome(entry.identityFile) : undefined,
      proxyJump: entry.proxyJump,
      tags: { ...(entry.tags ?? {}) },
      annotations: {},
      props: { ...(entry.props ?? {}), ip: hosts.length === 1 ? hosts[0]! : hosts[j]! },
    }));
  }
}
