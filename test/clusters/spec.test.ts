import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { expect } from 'chai';
import { CLUSTERS_DOC, renderClustersDoc, SCHEMA_FILE } from '../../scripts/cluster-spec-schema.js';
import { loadClusterSpec, parseClusterSpec, specPath } from '../../src/clusters/load-spec.js';
import { ClusterSpecSchema, Ec2ClusterSpecSchema, K8sClusterSpecSchema } from '../../src/clusters/spec.js';
import { renderClusterSpecJsonSchema } from '../../src/clusters/spec-json-schema.js';
import { type SpecField, specFields } from '../../src/clusters/spec-fields.js';
import { renderSpecTemplate } from '../../src/clusters/spec-template.js';
import { formatError, isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';

/** The one line a bad spec produces (without the hint), and its code. */
function problem(text: string): { line: string; code: string } {
  try {
    parseClusterSpec(text, 'spark1.yaml');
  } catch (err) {
    if (!isDustError(err)) throw err;
    expect(formatError(err)).to.not.contain('\n');
    return { line: err.message, code: err.code };
  }
  throw new Error(`expected the spec to be refused:\n${text}`);
}

describe('cluster spec: schema, loader, init template', () => {
  it('a minimal spec is a full spec with the documented defaults', () => {
    expect(parseClusterSpec('name: spark1\n', 'spark1.yaml')).to.deep.equal({
      name: 'spark1', provider: 'ec2', head: { type: 't3.micro' }, workers: { count: 2, type: 't3.micro' }, user: 'ec2-user',
      key: '~/.ssh/id_ed25519.pub', spot: { enabled: false }, placement: 'none', ingress: { ssh: ['0.0.0.0/0'], ports: [] },
      dependencies: { packages: [], pip: [] }, setup: { all: [], head: [] },
    });
    const k8s = parseClusterSpec('{ "name": "spark1", "provider": "k8s", "image": "rayproject/ray:2.40.0" }', 'spark1.json');
    expect(k8s).to.deep.include({ provider: 'k8s', namespace: 'default', workers: { count: 2 } });
  });

  it('a full ec2 spec keeps what it says (spot price as text, ports, setup)', () => {
    const spec = parseClusterSpec(`
name: spark1
region: eu-west-1
head: { type: c6i.large }
workers: { count: 4, type: c6i.xlarge }
image: ami-0123456789abcdef0
user: ubuntu
key: keys/spark.pub
spot: { enabled: true, maxPrice: 0.08 }
placement: cluster
ingress: { ssh: [203.0.113.7/32], ports: [{ port: 8080, to: 8090, cidr: 203.0.113.7/32 }] }
dependencies: { packages: [git], pip: ['daft[ray]'] }
setup: { all: [sudo mkdir -p /data], head: ['ray start --head'] }
dashboard: { port: 8265 }
`, 'spark1.yaml');
    expect(spec).to.deep.include({ placement: 'cluster', spot: { enabled: true, maxPrice: '0.08' }, dashboard: { port: 8265 } });
    expect(spec.provider === 'ec2' && spec.ingress.ports).to.deep.equal([{ port: 8080, to: 8090, cidr: '203.0.113.7/32' }]);
  });

  it('refuses bad specs in one line naming the file, the key path and what was expected', () => {
    const cases: [string, string, string][] = [
      ['name: spark1\nworkers: { count: three }', "cluster spec: spark1.yaml: workers.count: expected number, got 'three'", ErrorCodes.ClusterSpecInvalid],
      ['workers: { count: 2 }', 'cluster spec: spark1.yaml: name: missing, expected string', ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nprovider: gcp', `cluster spec: spark1.yaml: provider: expected one of "ec2", "k8s", got 'gcp'`, ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nwokers: { count: 2 }', "cluster spec: spark1.yaml: (top level): unknown key 'wokers': did you mean 'workers'?", ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\ncount: 2', "cluster spec: spark1.yaml: (top level): unknown key 'count': 'count' belongs under workers", ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nspot: { enabled: true, maxPrice: cheap }', "cluster spec: spark1.yaml: spot.maxPrice: expected a price in USD per hour such as 0.05, got 'cheap'", ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nspot: { enabled: true, maxPrice: true }', 'cluster spec: spark1.yaml: spot.maxPrice: expected number or string, got boolean true', ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nspot: { maxPrice: 0.1 }', 'cluster spec: spark1.yaml: spot.maxPrice: a max price needs spot.enabled: true (or drop maxPrice)', ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\ningress: { ssh: [10.0.0.0/33] }', "cluster spec: spark1.yaml: ingress.ssh[0]: expected an IPv4 CIDR such as 203.0.113.7/32, got '10.0.0.0/33'", ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nplacement: diagonal', `cluster spec: spark1.yaml: placement: expected one of "none", "cluster", "spread", got 'diagonal'`, ErrorCodes.ClusterSpecInvalid],
      ['name: Spark1\nprovider: k8s\nimage: x', "cluster spec: spark1.yaml: name: a Kubernetes cluster name must be lowercase letters, digits and - (it names pods), got 'Spark1'", ErrorCodes.ClusterSpecInvalid],
      ['name: s\nprovider: k8s', 'cluster spec: spark1.yaml: image: missing, expected string', ErrorCodes.ClusterSpecInvalid],
      ['', 'cluster spec: spark1.yaml: (top level): expected a mapping with at least name:, got an empty file', ErrorCodes.ClusterSpecInvalid],
      ['- a\n- b', 'cluster spec: spark1.yaml: (top level): expected a mapping with at least name:, got a list', ErrorCodes.ClusterSpecInvalid],
      ['name: spark1\nworkers:\n  count: 2\n type: x', 'cluster spec: spark1.yaml:4:2: bad indentation of a mapping entry', ErrorCodes.ClusterSpecUnreadable],
      ['name: s\nname: t', 'cluster spec: spark1.yaml:2:1: duplicated mapping key', ErrorCodes.ClusterSpecUnreadable],
    ];
    for (const [text, line, code] of cases) expect(problem(text), text).to.deep.equal({ line, code });
  });

  it('refuses what EC2 would refuse later: burstable types in a cluster group, too many nodes for a spread group', () => {
    expect(problem('name: s\nplacement: cluster\nhead: { type: c6i.large }').line).to.equal(
      'cluster spec: spark1.yaml: workers.type: a cluster placement group does not take burstable instance types (t3.micro); pick e.g. c6i.large, or placement: none',
    );
    expect(problem('name: s\nplacement: spread\nworkers: { count: 7 }').line).to.match(/workers\.count: a spread placement group holds at most 7 running nodes in a zone, and this cluster has 8/);
    expect(parseClusterSpec('name: s\nplacement: spread\nworkers: { count: 6 }', 's.yaml')).to.deep.include({ placement: 'spread' });
  });

  it('loadClusterSpec: an unreadable file is one line, relative paths resolve against the spec', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-spec-'));
    try {
      const missing = path.join(dir, 'nope.yaml');
      let caught: unknown;
      try {
        loadClusterSpec(missing);
      } catch (err) {
        caught = err;
      }
      expect(isDustError(caught) && caught.code).to.equal(ErrorCodes.ClusterSpecUnreadable);
      expect((caught as Error).message).to.equal(`cluster spec: cannot read ${missing} (no such file)`);
      fs.writeFileSync(path.join(dir, 'spark1.yaml'), 'name: spark1\nkey: keys/id.pub\n');
      const loaded = loadClusterSpec(path.join(dir, 'spark1.yaml'));
      expect(loaded.dir).to.equal(dir);
      expect(specPath(loaded, loaded.spec.provider === 'ec2' ? loaded.spec.key : '')).to.equal(path.join(dir, 'keys/id.pub'));
      expect(specPath(loaded, '~/x.pub')).to.equal(path.join(os.homedir(), 'x.pub'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const provider of ['ec2', 'k8s'] as const) {
    it(`cluster init template (${provider}) names every key with its default or requirement, and loads back as the defaults`, () => {
      const text = renderSpecTemplate({ provider, name: 'spark1', schemaUrl: '/opt/dust/docs/cluster-spec.schema.json' });
      expect(text.split('\n')[0]).to.equal('# yaml-language-server: $schema=/opt/dust/docs/cluster-spec.schema.json');
      const loaded = parseClusterSpec(text, 'spark1.yaml');
      const minimal = provider === 'ec2' ? { name: 'spark1' } : { name: 'spark1', provider, image: 'rayproject/ray:2.40.0-py312' };
      expect(loaded).to.deep.equal((provider === 'ec2' ? Ec2ClusterSpecSchema : K8sClusterSpecSchema).parse(minimal));
      const walk = (fields: readonly SpecField[]) => {
        for (const f of fields) {
          // Each key appears as a line (active or commented out) right below its description and status.
          expect(text, `${f.path.join('.')} in the template`).to.match(new RegExp(`^\\s*(# )?${f.key}:`, 'm'));
          if (f.description) expect(text.replace(/\n\s*# /g, ' ')).to.contain(f.description.split(' ').slice(0, 4).join(' '));
          if (f.children) walk(f.children);
        }
      };
      walk(specFields(provider === 'ec2' ? Ec2ClusterSpecSchema : K8sClusterSpecSchema));
      expect(text).to.contain('name: spark1\n');
      if (provider === 'ec2') {
        expect(text).to.match(/\(default: t3\.micro\)\n\s*type: t3\.micro/);
        expect(text).to.match(/One of: none, cluster, spread\. \(default: none\)\nplacement: none/);
        expect(text).to.match(/\(optional\)\n# region: us-east-1/);
        expect(text.replace(/\n\s*# (?!port)/g, ' ')).to.match(/\(required when dashboard is set\)\n\s*# port: 8265/);
      } else {
        expect(text).to.match(/\(required\)\nimage: /);
      }
      // Uncommenting an optional example keeps the file valid.
      const withRegion = provider === 'ec2' ? text.replace('# region: us-east-1', 'region: us-east-1') : text;
      expect(ClusterSpecSchema.safeParse(yaml.load(withRegion)).success).to.equal(true);
    });
  }

  it('docs/cluster-spec.schema.json and the key table in docs/clusters.md match the schema (regenerate: npx tsx scripts/cluster-spec-schema.ts --write)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).to.equal(renderClusterSpecJsonSchema());
    const doc = fs.readFileSync(CLUSTERS_DOC, 'utf8');
    expect(doc).to.equal(renderClustersDoc(doc));
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as { oneOf: { properties: Record<string, unknown> }[] };
    expect(Object.keys(schema.oneOf[0]?.properties ?? {})).to.deep.equal(specFields(Ec2ClusterSpecSchema).map((f) => f.key));
    expect(Object.keys(schema.oneOf[1]?.properties ?? {})).to.deep.equal(specFields(K8sClusterSpecSchema).map((f) => f.key));
  });
});
