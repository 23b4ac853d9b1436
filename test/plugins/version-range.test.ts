import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadUserPlugins } from '../../src/plugins/loader.js';
import { CommandRegistry } from '../../src/plugins/registry.js';
import { EventBus } from '../../src/plugins/events.js';
import { Contributions } from '../../src/plugins/contributions.js';
import { DUST_PLUGIN_API, type ClusterState } from '../../src/plugins/api.js';
import { makeTempHome } from '../helpers/temp-home.js';

/** Loads one drop-in whose `dust` field is `range` into a dust of version `version`; the outcome's code or 'loaded'. */
async function outcome(version: string, range: string): Promise<string> {
  const tmp = makeTempHome();
  try {
    const dir = path.join(tmp.home, 'plugins');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'p.mjs'), `export default { name: 'p', apiVersion: ${DUST_PLUGIN_API}, dust: ${JSON.stringify(range)}, setup() {} };\n`);
    const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
    const report = await loadUserPlugins({
      pluginDir: dir, configured: [], dustHome: tmp.home, cwd: tmp.home,
      deps: { registry: new CommandRegistry(), events: new EventBus(() => undefined), dustVersion: version, log: quiet, state: {} as ClusterState, contributions: new Contributions() },
    });
    return report.loaded.length === 1 ? 'loaded' : (report.failed[0]?.error as { code?: string }).code ?? 'failed';
  } finally {
    tmp.cleanup();
  }
}

describe('plugin `dust` version ranges (npm semver)', () => {
  const cases: [version: string, range: string, want: string][] = [
    // forms people write in package.json, which the hand-written parser refused or misread
    ['0.1.0', '>= 0.1', 'loaded'],
    ['0.1.0', '0.1.0 - 1.0', 'loaded'],
    ['1.0.5', '0.1.0 - 1.0', 'loaded'],
    ['1.1.0', '0.1.0 - 1.0', 'DUST_PLUGIN_API_MISMATCH'],
    ['0.3.0', '^0.1 || ^0.3', 'loaded'],
    ['0.2.0', '~0.1.2', 'DUST_PLUGIN_API_MISMATCH'],
    ['0.1.9', '0.1.x', 'loaded'],
    // a prerelease dust counts as the release it leads to, instead of matching nothing
    ['0.2.0-rc.1', '>=0.1', 'loaded'],
    ['0.2.0-rc.1', '*', 'loaded'],
    ['0.2.0-rc.1', '>=0.2', 'loaded'],
    ['0.2.0-rc.1', '^0.1', 'DUST_PLUGIN_API_MISMATCH'],
    ['0.2.0-rc.1', '>=0.2.0', 'DUST_PLUGIN_API_MISMATCH'],
    ['0.2.0-rc.2', '>=0.2.0-rc.1', 'loaded'],
    // a range that is not one
    ['0.1.0', 'soon', 'DUST_PLUGIN_INVALID'],
    ['0.1.0', '>=0.1 <', 'DUST_PLUGIN_INVALID'],
  ];
  for (const [version, range, want] of cases) {
    it(`dust ${version}, plugin needs '${range}': ${want}`, async () => {
      expect(await outcome(version, range)).to.equal(want);
    });
  }
});
