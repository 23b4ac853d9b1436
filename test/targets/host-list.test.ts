import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { Inventory } from '../../src/inventory/inventory.js';
import { readHostList } from '../../src/inventory/host-files.js';
import { StaticProvider } from '../../src/inventory/static-provider.js';
import { parseHostList, resolveTarget, type HostList, type TargetScope } from '../../src/targets/index.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { ALL, names, scope } from './fixture.js';

function hostFileError(fn: () => unknown): { message: string; hint: string | undefined } {
  try {
    fn();
  } catch (err) {
    if (!isDustError(err)) throw err;
    expect(err.code).to.equal('DUST_HOST_FILE');
    expect(err.message).to.not.include('\n');
    return { message: err.message, hint: err.hint };
  }
  throw new Error('expected a DUST_HOST_FILE error');
}

describe('targets: host lists (file:)', () => {
  describe('parseHostList', () => {
    it('reads pssh and pdsh lines: comments, blanks, [user@]host[:port], a second field as user, ranges', () => {
      const list = parseHostList([
        '# web tier',
        '',
        'web1',
        '  root@10.0.0.5:2222   # the odd one',
        '10.0.0.6 admin',
        'node[01-03]',
        'web1',
        'gpu#7',
        '[fe80::1]:2200',
        'fe80::2',
        'ops@[::1]',
      ].join('\n'), 'hosts.txt');
      expect(list.entries.map((e) => `${e.line}|${e.user ?? ''}|${e.host}|${e.port ?? ''}|${e.key}`)).to.deep.equal([
        '3||web1||web1',
        '4|root|10.0.0.5|2222|root@10.0.0.5:2222',
        '5|admin|10.0.0.6||admin@10.0.0.6',
        '6||node01||node01', '6||node02||node02', '6||node03||node03',
        '8||gpu#7||gpu#7', // `#` only starts a comment at the start or after a space
        '9||fe80::1|2200|[fe80::1]:2200',
        '10||fe80::2||fe80::2',
        '11|ops|::1||ops@::1',
      ]);
    });
    it('accepts CRLF files and an empty file', () => {
      expect(parseHostList('a\r\nb\r\n', 'f').entries.map((e) => e.host)).to.deep.equal(['a', 'b']);
      expect(parseHostList('', 'f').entries).to.deep.equal([]);
    });
    const bad: Array<[string, string]> = [
      ['h:0', "hosts.txt:1: port '0' is not a number from 1 to 65535 in 'h:0'"],
      ['h:99999', "hosts.txt:1: port '99999' is not a number from 1 to 65535 in 'h:99999'"],
      ['h:ssh', "hosts.txt:1: port 'ssh' is not a number from 1 to 65535 in 'h:ssh'"],
      ['@h', "hosts.txt:1: empty user before '@' in '@h'"],
      ['u@', "hosts.txt:1: no host in 'u@'"],
      ['ok\na b c', "hosts.txt:2: expected one host (and an optional user), got 3 fields in 'a b c'"],
      ['root@h admin', "hosts.txt:1: two users ('root' and 'admin') in 'root@h admin'"],
      ['n[1-', "hosts.txt:1: unclosed '[' at column 2 in 'n[1-'"],
      ['web*', "hosts.txt:1: cannot expand a glob at column 4 in 'web*'"],
      ['h:22:x', "hosts.txt:1: 'h:22:x' is neither host:port nor an IPv6 address"],
      ['[x:y]:22', "hosts.txt:1: 'x:y' in brackets is not an IPv6 address"],
    ];
    for (const [text, message] of bad) {
      it(`refuses ${JSON.stringify(text)} naming file and line`, () => {
        expect(hostFileError(() => parseHostList(text, 'hosts.txt')).message).to.equal(message);
      });
    }
  });

  describe('resolving file: terms', () => {
    const lists: Record<string, string> = {
      web: 'master\nworker[1-2]\n10.0.2.3\n',
      down: 'worker2\n',
      conflict: 'root@worker1\n',
      port: 'worker1:2222\n',
      unknown: 'elsewhere.example\n',
    };
    const withLists = (base: TargetScope): TargetScope => ({
      ...base,
      hostList: (file): HostList => {
        const text = lists[file];
        if (text === undefined) throw new Error(`test asked for ${file}`);
        return parseHostList(text, file);
      },
    });
    const sel = (expr: string, base = scope()): string[] => names(resolveTarget(expr, withLists(base)));

    it('selects by name, else by address; ! and the other operators combine them', () => {
      expect(sel('file:web')).to.deep.equal(['master', 'node03', 'worker1', 'worker2']);
      expect(sel('file:web!file:down')).to.deep.equal(['master', 'node03', 'worker1']);
      expect(sel('worker[0-3]!file:web')).to.deep.equal(['worker0', 'worker3']);
      expect(sel('file:web^worker[2-3]')).to.deep.equal(['master', 'node03', 'worker1', 'worker3']);
      expect(sel('file:unknown')).to.deep.equal([]);
    });
    it('selects from the working set only, like every term', () => {
      expect(sel('file:web', scope((n) => n.cluster === 'slurm1'))).to.deep.equal(['worker1', 'worker2']);
    });
    it('a line that names a node with another user or port is an error naming file and line', () => {
      const e = hostFileError(() => sel('file:conflict'));
      expect(e.message).to.equal("conflict:1: 'root@worker1' says user root, but node worker1 logs in with user ec2-user");
      expect(e.hint).to.equal("write just 'worker1' to use the node's login, or change its login with a rule (assign worker1 --user …)");
      expect(hostFileError(() => sel('file:port')).message).to.equal("port:1: 'worker1:2222' says port 2222, but node worker1 logs in with port 22");
    });
    it('without a reader (a caller that does no I/O) file: is an error, not a crash', () => {
      expect(hostFileError(() => resolveTarget('file:web', scope())).message).to.equal("target: host lists cannot be read here ('file:web')");
    });
    it('looks 5,000 lines up without scanning the inventory per line', () => {
      const many = Array.from({ length: 5000 }, (_, i) => `host${i}`).join('\n');
      const sc: TargetScope = { ...scope(), hostList: (file) => parseHostList(`${many}\nworker7\n`, file) };
      expect(names(resolveTarget('file:many', sc))).to.deep.equal(['worker7']);
      expect(ALL).to.have.lengthOf(25);
    });
  });

  describe('reading the file, and hosts that are no node', () => {
    let tmp: ReturnType<typeof makeTempHome>;
    beforeEach(() => { tmp = makeTempHome(); });
    afterEach(() => tmp.cleanup());

    it('an unreadable file is one line naming it', () => {
      const missing = path.join(tmp.home, 'nope.txt');
      expect(hostFileError(() => readHostList(missing)).message).to.equal(`file:${missing}: cannot read host list ${missing}: no such file`);
      expect(hostFileError(() => readHostList(tmp.home)).message).to.equal(`file:${tmp.home}: cannot read host list ${tmp.home}: it is a directory`);
      expect(hostFileError(() => readHostList('/dev/null')).message).to.equal('file:/dev/null: cannot read host list /dev/null: not a regular file');
      fs.writeFileSync(path.join(tmp.home, 'hosts'), 'a\n');
      expect(readHostList('hosts', tmp.home)).to.deep.equal({
        key: path.join(tmp.home, 'hosts'), list: { file: 'hosts', entries: [{ line: 1, user: undefined, host: 'a', port: undefined, key: 'a' }] },
      });
    });

    it('entries naming no node become nodes (source hostfile) with their user and port; rules and numbers apply', async () => {
      const inv = new Inventory([new StaticProvider([{ name: 'db1', host: '10.0.0.9' }], undefined)],
        [{ selector: 'source=hostfile', identityFile: '/keys/adhoc' }]);
      const file = path.join(tmp.home, 'hosts');
      fs.writeFileSync(file, 'db1\nalice@127.0.0.7:2201\n127.0.0.8\n');
      const { key, list } = readHostList(file);
      inv.useHostList(key, list);
      const nodes = await inv.nodes();
      expect(nodes.map((n) => `${n.index} ${n.name} ${n.source} ${n.user ?? '-'}@${n.host}:${n.port} ${n.identityFile ?? '-'}`)).to.deep.equal([
        '1 127.0.0.8 hostfile -@127.0.0.8:22 /keys/adhoc',
        '2 alice@127.0.0.7:2201 hostfile alice@127.0.0.7:2201 /keys/adhoc',
        '3 db1 static -@10.0.0.9:22 -',
      ]);
      // A rewritten file replaces the old one: its gone hosts leave the inventory, their numbers stay reserved.
      fs.writeFileSync(file, '127.0.0.8\nbob@127.0.0.9\n');
      const again = readHostList(file);
      inv.useHostList(again.key, again.list);
      expect((await inv.nodes()).map((n) => `${n.index}:${n.name}`).sort()).to.deep.equal(['1:127.0.0.8', '3:db1', '4:bob@127.0.0.9']);
    });
  });
});
