import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { lines, runDust } from '../helpers/run-dust.js';
import { useCliCluster, writeDustConfig } from './dust-config-for-cluster.js';
import { localDirName } from '../../src/plugins/builtin/files.js';

describe('put and get over the persistent connections (SFTP, real sshd)', function () {
  this.timeout(120000);
  const f = useCliCluster({ count: 3 });
  const dust = (...ls: string[]) => {
    const r = runDust(['--config', f.configFile, ...lines(...ls)], { home: f.tmp.home });
    return { code: r.code, out: r.stdout + r.stderr };
  };

  before(async function () {
    fs.mkdirSync(path.join(f.tmp.home, 'src'));
    fs.writeFileSync(path.join(f.tmp.home, 'src', 'a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(f.tmp.home, 'src', 'b.txt'), 'beta\n'.repeat(100000));
    fs.writeFileSync(path.join(f.tmp.home, 'src', 'c.log'), 'not me\n');
  });

  it('put copies a glob of files to every node, into the remote dir, byte for byte', () => {
    const r = dust('@* mkdir -p upload', `put 'src/*.txt' node* upload`, '@* cat upload/a.txt; wc -c < upload/b.txt; ls upload');
    expect(r.out).to.match(/\[node0\] 2 files \(488\.3 KiB\) → upload/);
    expect(r.out).to.match(/\[node1\]\s+alpha/);
    expect(r.out).to.match(/\[node2\]\s+500000/);
    expect(r.out).to.not.include('c.log');
    for (const n of f.cluster.nodes) {
      expect(fs.readFileSync(path.join(n.homeDir, 'upload', 'b.txt'), 'utf8')).to.equal('beta\n'.repeat(100000));
    }
  });

  it('get saves each node\'s copy under <dir>/<node>/ without overwriting', () => {
    for (const n of f.cluster.nodes) fs.writeFileSync(path.join(n.homeDir, 'report.txt'), `from ${n.name}\n`);
    fs.mkdirSync(path.join(f.tmp.home, 'fetched'));
    const r = dust('get node[0-2] report.txt fetched');
    expect(r.code, r.out).to.equal(0);
    for (const n of f.cluster.nodes) {
      expect(fs.readFileSync(path.join(f.tmp.home, 'fetched', n.name, 'report.txt'), 'utf8')).to.equal(`from ${n.name}\n`);
    }
  });

  it('reports a missing remote file per node and bad local input in one line each', () => {
    fs.writeFileSync(path.join(f.cluster.node('node1').homeDir, 'only-here.txt'), 'x\n');
    let r = dust('get node* only-here.txt');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/\[node0\] ✖ only-here\.txt: No such file/);
    expect(r.out).to.match(/✖ get failed on 2: node\[0,2\]/);
    r = dust('put nosuch.txt node0');
    expect(r.code).to.equal(1);
    expect(r.out).to.include("put: local file 'nosuch.txt' does not exist");
    r = dust('put src/a.txt');
    expect(r.out).to.include('put: a target is required');
  });

  it('--json: one transfer record per node on stdout (files, bytes, status, error), nothing else there', () => {
    fs.writeFileSync(path.join(f.cluster.node('node2').homeDir, 'json-only.txt'), 'twelve bytes');
    fs.mkdirSync(path.join(f.tmp.home, 'jfetch'));
    const r = runDust(['--config', f.configFile, '--json', ...lines('put src/a.txt node[0-1] .', 'get node[1-2] json-only.txt jfetch')], { home: f.tmp.home });
    expect(r.code).to.equal(1);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const key = (x: Record<string, unknown>) => `${String(x.direction)}:${String(x.node)}`;
    records.sort((a, b) => key(a).localeCompare(key(b)));
    expect(records.map((x) => [x.type, key(x), x.status])).to.deep.equal([
      ['transfer', 'get:node1', 'failed'], ['transfer', 'get:node2', 'ok'], ['transfer', 'put:node0', 'ok'], ['transfer', 'put:node1', 'ok'],
    ]);
    expect(records[0]!.error).to.match(/json-only\.txt: No such file/);
    expect(records[1]).to.deep.include({ bytes: 12, files: [{ local: path.join('jfetch', 'node2', 'json-only.txt'), remote: 'json-only.txt' }] });
    expect(records[2]).to.deep.include({ bytes: 6, files: [{ local: 'src/a.txt', remote: 'a.txt' }] });
    expect(r.stderr).to.include('[node0] 1 file → a.txt');
  });

  it('get keeps a node whose name is a path (an EC2 Name tag of ../x) inside local-dir', () => {
    const n0 = f.cluster.node('node0');
    fs.writeFileSync(path.join(n0.homeDir, 'secret.txt'), 'from node0\n');
    const dir = path.join(f.tmp.home, 'climb');
    fs.mkdirSync(path.join(dir, 'in', 'fetched'), { recursive: true });
    const config = writeDustConfig(f.cluster, dir, { extraNodes: [`{ name: '../../escaped', host: ${n0.host}, port: ${n0.port} }`] });
    const r = runDust(['--config', config, '-c', "get '../../escaped' secret.txt fetched"], { home: f.tmp.home, cwd: path.join(dir, 'in') });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(dir, 'in', 'fetched', '.._.._escaped', 'secret.txt'), 'utf8')).to.equal('from node0\n');
    expect(fs.existsSync(path.join(dir, 'escaped'))).to.equal(false);
    expect(['..', '.', '', 'a/b', 'a\\b', '..x'].map(localDirName)).to.deep.equal(['_..', '_.', '_', 'a_b', 'a_b', '..x']);
  });
});
