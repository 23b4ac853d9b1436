import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import type { DustNode } from '../../src/inventory/node.js';
import {
  describeNoMatch, describeTargetKeys, parseTarget, resolveTarget, type TargetScope,
} from '../../src/targets/index.js';
import { ALL, CLUSTERS, names, scope, seq } from './fixture.js';

const sel = (expr: string, sc: TargetScope = scope()): string[] => names(resolveTarget(expr, sc));
const workers = seq('worker', 0, 12);
const hpcNodes = seq('node', 1, 10, 2);

/** Scope over nodes with just these names (for patterns the fixture has no names for). */
function namedScope(list: string[]): TargetScope {
  const base = ALL[0];
  if (base === undefined) throw new Error('empty fixture');
  const nodes: DustNode[] = list.map((name, i) => ({ ...base, name, index: i + 1 }));
  return { nodes, workingSet: nodes, clusterNames: new Set() };
}

describe('targets: resolveTarget', () => {
  it('fixture has 25 nodes indexed 1..25', () => {
    expect(ALL.map((n) => n.index)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(ALL[12]?.name).to.equal('worker0');
  });

  describe('whole working set', () => {
    for (const expr of ['', '*', '  ', ' * ']) {
      it(`'${expr}' selects every node in index order`, () => expect(sel(expr)).to.deep.equal(names(ALL)));
    }
  });

  describe('index terms', () => {
    it('single index', () => expect(sel('3')).to.deep.equal(['node01']));
    it('index list', () => expect(sel('1,3,4')).to.deep.equal(['bastion', 'node01', 'node02']));
    it('index range a-b, inclusive', () => expect(sel('2-5')).to.deep.equal(['master', 'node01', 'node02', 'node03']));
    it('bracketed index range', () => expect(sel('[2-5]')).to.deep.equal(['master', 'node01', 'node02', 'node03']));
    it('bracketed index list with ranges and step', () => {
      expect(sel('[1,24-25]')).to.deep.equal(['bastion', 'worker11', 'worker12']);
      expect(sel('[13-25/4]')).to.deep.equal(['worker0', 'worker4', 'worker8', 'worker12']);
    });
    it('sorts by index numerically (10 after 2), not as strings', () => {
      expect(resolveTarget('11,10,2,1', scope()).map((n) => n.index)).to.deep.equal([1, 2, 10, 11]);
      expect(resolveTarget('worker*,bastion', scope()).map((n) => n.index)).to.deep.equal([1, ...seq('', 13, 25).map(Number)]);
    });
    it('leading zeros are the same index', () => expect(sel('03')).to.deep.equal(['node01']));
    it('an index that no node has selects nothing', () => expect(sel('0,26,1000')).to.deep.equal([]));
  });

  describe('name patterns', () => {
    it('exact name, case-insensitive', () => {
      expect(sel('worker1')).to.deep.equal(['worker1']);
      expect(sel('WORKER1')).to.deep.equal(['worker1']);
    });
    it('matches the whole name only', () => {
      expect(sel('orker1')).to.deep.equal([]);
      expect(sel('worker')).to.deep.equal([]);
    });
    it('* and ?', () => {
      expect(sel('worker*')).to.deep.equal(workers);
      expect(sel('worker1*')).to.deep.equal(['worker1', 'worker10', 'worker11', 'worker12']);
      expect(sel('wo?ker3')).to.deep.equal(['worker3']);
      expect(sel('*er1?')).to.deep.equal(['worker10', 'worker11', 'worker12']);
    });
    it('character classes, negated classes, case-insensitive classes', () => {
      expect(sel('w[o]rker2')).to.deep.equal(['worker2']);
      expect(sel('bast[a-j]on')).to.deep.equal(['bastion']);
      expect(sel('BAST[I]ON')).to.deep.equal(['bastion']);
      expect(sel('node0[!1-8]')).to.deep.equal(['node09']);
      expect(sel('[bm]*')).to.deep.equal(['bastion', 'master']);
    });
    it('numeric ranges are numbers, not character classes', () => {
      expect(sel('worker[0-12]')).to.deep.equal(workers);
      expect(sel('worker[0-10]')).to.have.lengthOf(11);
      expect(sel('worker[3-15]')).to.deep.equal(seq('worker', 3, 12));
      expect(sel('worker[1,3,5-6]')).to.deep.equal(['worker1', 'worker3', 'worker5', 'worker6']);
      expect(sel('worker[0-12/6]')).to.deep.equal(['worker0', 'worker6', 'worker12']);
    });
    it('zero padding: padded ranges match padded names only', () => {
      expect(sel('node[01-10,15]')).to.deep.equal(hpcNodes);
      expect(sel('node[01-03,7]')).to.deep.equal(['node01', 'node02', 'node03', 'node07']);
      expect(sel('node[1-3]')).to.deep.equal([]);
      expect(sel('worker[00-02]')).to.deep.equal([]);
    });
    it('a range can give digits back to a following glob', () => {
      expect(sel('worker[1-2]*')).to.deep.equal(['worker1', 'worker2', 'worker10', 'worker11', 'worker12']);
    });
    it('ranges and globs mix: rack[1-2]-node*', () => {
      const sc = namedScope(['rack1-node1', 'rack1-node2', 'rack2-node1', 'rack3-node1', 'rack1-gpu1', 'rack10-node1']);
      expect(sel('rack[1-2]-node*', sc)).to.deep.equal(['rack1-node1', 'rack1-node2', 'rack2-node1']);
    });
  });

  describe('key=value', () => {
    it('matches a core property, key and value case-insensitive', () => {
      expect(sel('state=stopped')).to.deep.equal(['node05', 'worker3', 'worker7']);
      expect(sel('STATE=STOPPED')).to.deep.equal(['node05', 'worker3', 'worker7']);
    });
    it('value is a glob over the whole value', () => {
      expect(sel('state=stop*')).to.deep.equal(['node05', 'worker3', 'worker7']);
      expect(sel('state=stop')).to.deep.equal([]);
      expect(sel('type=t3.*')).to.deep.equal(['bastion', 'master', 'worker0', 'worker1']);
      expect(sel('ip=10.0.1.1?')).to.deep.equal(['worker10', 'worker11', 'worker12']);
      expect(sel('launch_time=2016-04-03*')).to.deep.equal(['master', ...workers]);
    });
    it('numeric ranges work in values', () => {
      expect(sel('name=worker[1-3]')).to.deep.equal(['worker1', 'worker2', 'worker3']);
      expect(sel('index=[2-3]')).to.deep.equal(['master', 'node01']);
      expect(sel('ip=10.0.2.[8-10]')).to.deep.equal(['node08', 'node09', 'node10']);
    });
    it('index by glob (the original `index=1*`)', () => {
      expect(sel('index=1*')).to.deep.equal(['bastion', 'node08', 'node09', 'node10', ...seq('worker', 0, 6)]);
    });
    it('non-string values are matched through String()', () => {
      expect(sel('spot=true')).to.deep.equal(['worker11']);
      expect(sel('port=22')).to.have.lengthOf(25);
    });
    it('absent values never match, not even *', () => {
      expect(sel('public_ip=*')).to.deep.equal(['bastion']);
      expect(sel('ip=*')).to.not.include('bastion');
      expect(sel('cluster=*')).to.deep.equal([...hpcNodes, ...workers]);
    });
    it('cluster=<glob>', () => {
      expect(sel('cluster=slurm*')).to.deep.equal(workers);
      expect(sel('cluster=HPC')).to.deep.equal(hpcNodes);
    });
    it('unknown property is an error with suggestions, not an empty result', () => {
      try {
        resolveTarget('worker*&stat=running', scope());
        expect.fail('expected an error');
      } catch (err) {
        if (!isDustError(err)) throw err;
        expect(err.code).to.equal('DUST_TARGET_UNKNOWN_PROPERTY');
        expect(err.message).to.equal("target: unknown property 'stat' at column 9 in 'worker*&stat=running'");
        expect(err.hint).to.match(/^did you mean 'state'\? known properties: state, /);
      }
    });
    it('unknown property in a pre-parsed expression names the term', () => {
      expect(() => resolveTarget(parseTarget('colour=red'), scope()))
        .to.throw("target: unknown property 'colour' in 'colour=red'");
    });
    it('a key that only nodes outside the working set have is known (just selects nothing)', () => {
      expect(sel('public_ip=*', scope((n) => n.cluster === 'slurm1'))).to.deep.equal([]);
    });
  });

  describe('tags and annotations', () => {
    it('tags=K:V, case-insensitive on both sides', () => {
      expect(sel('tags=env:prod')).to.deep.equal(['master', ...seq('node', 1, 6, 2), ...seq('worker', 0, 5)]);
      expect(sel('tags=ENV:Dev')).to.deep.equal([...seq('node', 7, 10, 2), ...seq('worker', 6, 12)]);
    });
    it('splits at the LAST colon so keys may contain colons', () => {
      expect(sel('tags=aws:cloudformation:stack-name:slurm1')).to.deep.equal(workers);
      expect(sel('tags=*stack-name:SLURM1')).to.deep.equal(workers);
      expect(sel('tags=aws:*:slurm?')).to.deep.equal(workers);
    });
    it('tags=K means "has a tag whose key matches"', () => {
      expect(sel('tags=role')).to.deep.equal(['master']);
      expect(sel('tags=ROLE')).to.deep.equal(['master']);
      // The last colon splits, so this is key `aws` (no node has it), not "keys starting with aws:".
      expect(sel('tags=aws:*')).to.deep.equal([]);
      expect(sel('tags=aws:*:*')).to.deep.equal(workers);
    });
    it('tag= is an alias', () => expect(sel('tag=role:head')).to.deep.equal(['master']));
    it('tags=K: matches an empty tag value only', () => {
      expect(sel('tags=empty:')).to.deep.equal(['node09']);
      expect(sel('tags=env:')).to.deep.equal([]);
    });
    it('quotes protect operator characters; a quoted value keeps its colons', () => {
      expect(sel('tags="team:a,b"')).to.deep.equal(['node01']);
      expect(sel('tags=team:a,b')).to.deep.equal([]); // union of tags=team:a and the name `b`
      expect(sel('tags=url:"http://x:80"')).to.deep.equal(['node02']);
      expect(sel('tags="url:http://x:80"')).to.deep.equal([]); // every colon quoted: split at the last one
    });
    it('quoted glob characters are literal', () => {
      expect(sel('tags=team:a*')).to.deep.equal(['node01']);
      expect(sel('tags=team:"a*"')).to.deep.equal([]);
    });
    it('annotation=K and annotation=K:V, alias annotations', () => {
      expect(sel('annotation=drained')).to.deep.equal(['worker4']);
      expect(sel('annotation=drained:kernel*')).to.deep.equal(['worker4']);
      expect(sel('annotation=drained:x')).to.deep.equal([]);
      expect(sel('annotations=gpu-bad:ecc')).to.deep.equal(['node03']);
      expect(sel('annotation=*')).to.deep.equal(['node03', 'worker4']);
    });
  });

  describe('bare cluster names', () => {
    it('a known cluster name means cluster=<name>', () => {
      expect(sel('slurm1')).to.deep.equal(workers);
      expect(sel('hpc')).to.deep.equal(hpcNodes);
    });
    it('is case-sensitive (HPC is a name pattern, matching nothing)', () => expect(sel('HPC')).to.deep.equal([]));
    it('is checked before index and name (classification order)', () => {
      const sc: TargetScope = { ...scope(), clusterNames: new Set([...CLUSTERS, 'bastion', '3']) };
      expect(sel('bastion', sc)).to.deep.equal([]); // cluster `bastion` has no nodes
      expect(sel('3', sc)).to.deep.equal([]);
      expect(sel('cluster=slurm1', sc)).to.deep.equal(workers); // `=` comes first
    });
  });

  describe('set algebra', () => {
    it('& intersects', () => {
      expect(sel('worker*&state=running')).to.deep.equal(workers.filter((w) => w !== 'worker3' && w !== 'worker7'));
    });
    it('! subtracts; a leading ! subtracts from the working set', () => {
      const expected = names(ALL).filter((n) => n !== 'worker3');
      expect(sel('*!worker3')).to.deep.equal(expected);
      expect(sel('!worker3')).to.deep.equal(expected);
      expect(sel('worker[0-9]!worker[3,7]')).to.deep.equal(['worker0', 'worker1', 'worker2', 'worker4', 'worker5', 'worker6', 'worker8', 'worker9']);
    });
    it('parentheses group', () => {
      expect(sel('(worker*,node*)&tags=env:prod')).to.deep.equal([...seq('node', 1, 6, 2), ...seq('worker', 0, 5)]);
      expect(sel('!(worker*,node*)')).to.deep.equal(['bastion', 'master']);
      expect(sel('((worker1))')).to.deep.equal(['worker1']);
    });
    it('operators share one precedence and apply left to right, as in ClusterShell', () => {
      expect(sel('master,worker*&state=stopped')).to.deep.equal(['worker3', 'worker7']);
      expect(sel('master,(worker*&state=stopped)')).to.deep.equal(['master', 'worker3', 'worker7']);
      // The exclusion applies to everything before it: a clush user's `a,b!c` never runs on c.
      expect(sel('worker1,worker*!worker[1-12]')).to.deep.equal(['worker0']);
      expect(sel('worker*!worker[0-5]&state=running')).to.deep.equal(['worker6', 'worker8', 'worker9', 'worker10', 'worker11', 'worker12']);
      expect(sel('worker*!(worker[0-5]&state=running)')).to.deep.equal(['worker3', ...seq('worker', 6, 12)]);
      expect(sel('state=running&worker*!worker[0-9]')).to.deep.equal(['worker10', 'worker11', 'worker12']);
      expect(sel('worker[0-2]!worker1,worker1')).to.deep.equal(['worker0', 'worker1', 'worker2']);
    });
    it('^ is the symmetric difference (in one side, not both)', () => {
      expect(sel('node[01-05]^node[04-08]')).to.deep.equal([...seq('node', 1, 3, 2), ...seq('node', 6, 8, 2)]);
      expect(sel('worker[0-3]^state=stopped')).to.deep.equal(['node05', 'worker0', 'worker1', 'worker2', 'worker7']);
      expect(sel('worker1^worker1')).to.deep.equal([]);
      expect(sel('worker[0-2]^worker[1-3]^worker[2-4]')).to.deep.equal(['worker0', 'worker2', 'worker4']);
    });
    it('whitespace around operators is ignored', () => {
      expect(sel(' ( worker1 , worker2 ) & ! worker1 ')).to.deep.equal(['worker2']);
    });
    it('results are unique', () => {
      expect(sel('worker1,worker1,13-14,worker*&worker[0-1]')).to.deep.equal(['worker0', 'worker1']);
    });
  });

  describe('working set', () => {
    const ws = scope((n) => n.cluster === 'slurm1');
    it('* is the working set only', () => expect(sel('*', ws)).to.deep.equal(workers));
    it('terms never reach outside it', () => {
      expect(sel('node01', ws)).to.deep.equal([]);
      expect(sel('hpc', ws)).to.deep.equal([]);
      expect(sel('cluster=hpc', ws)).to.deep.equal([]);
      expect(sel('state=stopped', ws)).to.deep.equal(['worker3', 'worker7']);
      expect(sel('tags=env:prod', ws)).to.deep.equal(seq('worker', 0, 5));
    });
    it('indexes stay global', () => {
      expect(sel('3', ws)).to.deep.equal([]);
      expect(sel('13,25', ws)).to.deep.equal(['worker0', 'worker12']);
    });
    it('!x is the working set minus x', () => expect(sel('!worker[1-12]', ws)).to.deep.equal(['worker0']));
  });

  it('accepts a pre-parsed expression (reusable across scopes)', () => {
    const tree = parseTarget('state=stopped');
    expect(names(resolveTarget(tree, scope()))).to.deep.equal(['node05', 'worker3', 'worker7']);
    expect(names(resolveTarget(tree, scope((n) => n.cluster === 'hpc')))).to.deep.equal(['node05']);
  });

  it('returns a fresh array that callers may mutate', () => {
    const sc = scope();
    const out = resolveTarget('*', sc);
    out.pop();
    expect(sc.workingSet).to.have.lengthOf(25);
  });

  it('a target matching nothing returns []; describeNoMatch explains', () => {
    expect(resolveTarget('nosuch*', scope())).to.deep.equal([]);
    const err = describeNoMatch('nosuch*');
    expect(err.code).to.equal('DUST_TARGET_NO_MATCH');
    expect(err.message).to.equal("target: no node matches 'nosuch*'");
    expect(err.hint).to.equal('`show` lists the nodes; `use *` widens the working set');
    expect(describeNoMatch('').message).to.equal("target: no node matches '*'");
  });

  it('syntax errors surface from resolveTarget too', () => {
    expect(() => resolveTarget('worker[0-]', scope())).to.throw("target: unexpected ']' at column 10 in 'worker[0-]'");
  });
});

describe('targets: describeTargetKeys', () => {
  it('lists core keys, tags, annotation, then every props key once, sorted', () => {
    const keys = describeTargetKeys(ALL);
    for (const k of ['tags', 'annotation', 'cluster', 'state', 'name', 'index', 'ip', 'launch_time', 'public_ip', 'spot', 'type', 'vpc']) {
      expect(keys).to.include(k);
    }
    expect(keys.slice(0, 3)).to.deep.equal(['index', 'name', 'source']);
    expect(new Set(keys).size).to.equal(keys.length);
    const props = keys.slice(keys.indexOf('annotation') + 1);
    expect(props).to.deep.equal([...props].sort());
    expect(props).to.deep.equal(['ip', 'launch_time', 'public_ip', 'spot', 'type', 'vpc']);
  });
  it('with no nodes still lists the core keys', () => {
    expect(describeTargetKeys([])).to.deep.equal(
      ['index', 'name', 'source', 'cluster', 'state', 'host', 'port', 'user', 'identityfile', 'proxyjump', 'tags', 'annotation']);
  });
});
