import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../helpers/pty-driver.js';

/** Member names of `export interface <name> { ... }` in api.ts (top-level members only, at two spaces). */
function interfaceMembers(source: string, name: string): string[] {
  const start = source.search(new RegExp(`export interface ${name}[ <]`));
  expect(start, `interface ${name} in api.ts`).to.be.greaterThan(-1);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??[(<:]/gm)].map((m) => m[1]!);
}

/** The text of `### \`<name>\`` in docs/plugins.md, up to the next heading. */
function docSection(doc: string, name: string): string {
  const start = doc.indexOf(`### \`${name}\``);
  expect(start, `docs/plugins.md has a section for ${name}`).to.be.greaterThan(-1);
  const next = doc.slice(start + 4).search(/^#{2,3} /m);
  return next < 0 ? doc.slice(start) : doc.slice(start, start + 4 + next);
}

describe('docs/plugins.md documents the plugin API', () => {
  const api = fs.readFileSync(path.join(REPO_ROOT, 'src/plugins/api.ts'), 'utf8');
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/plugins.md'), 'utf8');

  for (const name of ['DustPlugin', 'PluginApi', 'CommandSpec', 'TargetSpec', 'CommandContext', 'ClusterState', 'SessionsApi', 'Output']) {
    it(`every member of ${name} has a row in its table`, () => {
      const section = docSection(doc, name);
      const members = interfaceMembers(api, name);
      expect(members.length, name).to.be.greaterThan(2);
      const missing = members.filter((m) => !section.includes(`\`${m}`));
      expect(missing, `undocumented members of ${name}`).to.deep.equal([]);
    });
  }

  it('event handlers are told to use api.state, not to keep a command\'s ctx.state', () => {
    const events = doc.slice(doc.indexOf('## Events'), doc.indexOf('## Annotations'));
    expect(events).to.include('api.state');
    expect(events).to.not.match(/keeps the one it last saw/);
    const health = fs.readFileSync(path.join(REPO_ROOT, 'plugins-examples/health.mjs'), 'utf8');
    expect(health).to.include('api.state.annotate(node');
    expect(health).to.not.match(/state = ctx\.state/);
  });
});
