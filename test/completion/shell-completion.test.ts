import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pty from 'node-pty';
import { expect } from 'chai';
import { DUST_BIN, stripAnsi } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { runDust } from '../helpers/run-dust.js';

const CONFIG = `nodes:
  - { name: master, host: 127.0.0.1, cluster: slurm1 }
  - { name: 'worker[0-3]', host: '127.0.0.[2-5]', cluster: slurm1 }
  - { name: web1, host: 127.0.0.20, cluster: webtest }
`;

const AWS_CONFIG = '[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n[sso-session corp]\nsso_region = us-east-1\n';

function hasShell(name: string): boolean {
  return spawnSync(name, ['-c', 'exit 0']).status === 0;
}

describe('shell completion scripts (dust completion bash|zsh)', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  let bin: string;
  let env: Record<string, string>;

  before(() => {
    tmp = makeTempHome(CONFIG);
    // `dust` on the PATH, as after npm i -g: the script calls the dust it completes
    bin = path.join(tmp.home, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(DUST_BIN, path.join(bin, 'dust'));
    fs.mkdirSync(path.join(tmp.home, 'work', 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(tmp.home, 'work', 'cluster.yaml'), CONFIG);
    fs.writeFileSync(path.join(tmp.home, 'aws-config'), AWS_CONFIG);
    env = {
      PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`,
      HOME: tmp.home,
      DUST_HOME: tmp.home,
      AWS_CONFIG_FILE: path.join(tmp.home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmp.home, 'no-credentials'),
      TERM: 'xterm',
    };
  });

  after(() => tmp.cleanup());

  it('prints a script for bash and for zsh; anything else is one usage line', () => {
    const bash = runDust(['completion', 'bash'], { home: tmp.home });
    expect(bash.code).to.equal(0);
    expect(bash.stdout).to.include('complete -F _dust_complete dust');
    const zsh = runDust(['completion', 'zsh'], { home: tmp.home });
    expect(zsh.code).to.equal(0);
    expect(zsh.stdout.startsWith('#compdef dust\n')).to.equal(true);
    const fish = runDust(['completion', 'fish'], { home: tmp.home });
    expect(fish.code).to.equal(2);
    expect(fish.stderr.trim().split('\n')).to.deep.equal(["dust: completion: no completion for 'fish' — usage: dust completion bash|zsh (then: source <(dust completion bash) in ~/.bashrc) [DUST_USAGE]"]);
    expect(runDust(['completion'], { home: tmp.home }).stderr).to.match(/^dust: completion: which shell\? — usage: dust completion bash\|zsh/);
    expect(runDust(['--help'], { home: tmp.home }).stdout).to.include('dust completion bash|zsh');
  });

  describe('bash: the completion function, driven through COMP_WORDS as bash fills them', () => {
    /** Sources the script in a real bash, sets the COMP_* variables for `line` and prints COMPREPLY. */
    function bashComplete(words: string[], opts: { cwd?: string; line?: string } = {}): string[] {
      const line = opts.line ?? words.join(' ');
      const script = [
        'source <(dust completion bash)',
        `COMP_WORDS=(${words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')})`,
        `COMP_CWORD=${words.length - 1}`,
        `COMP_LINE='${line.replace(/'/g, `'\\''`)}'`,
        `COMP_POINT=${line.length}`,
        '_dust_complete',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: opts.cwd ?? tmp.home, env, encoding: 'utf8', timeout: 30000 });
      expect(r.status, r.stderr).to.equal(0);
      return r.stdout.split('\n').filter((l) => l !== '');
    }

    before(function () {
      if (!hasShell('bash')) this.skip();
    });

    it('options, subcommands, and the shells of `completion`', () => {
      expect(bashComplete(['dust', '--con'])).to.deep.equal(['--config']);
      expect(bashComplete(['dust', '--'])).to.include.members(['--command', '--config', '--demo', '--json', '--region', '--version']);
      expect(bashComplete(['dust', ''])).to.include.members(['completion', 'emulator', '--config']);
      expect(bashComplete(['dust', 'comp'])).to.deep.equal(['completion']);
      expect(bashComplete(['dust', 'completion', ''])).to.deep.equal(['bash', 'zsh']);
      // `completion` is a subcommand only in first place
      expect(bashComplete(['dust', '--json', 'comp'])).to.deep.equal([]);
    });

    it('option values: --config files, --region, --profile from the AWS files; emulator flags', () => {
      const work = path.join(tmp.home, 'work');
      expect(bashComplete(['dust', '--config', 'clu'], { cwd: work })).to.deep.equal(['cluster.yaml']);
      expect(bashComplete(['dust', '--config', ''], { cwd: work })).to.have.members(['cluster.yaml', 'conf.d']);
      // bash splits --config=clu at the '=' (COMP_WORDBREAKS): its word is what follows
      expect(bashComplete(['dust', '--config', '=', 'clu'], { cwd: work, line: 'dust --config=clu' })).to.deep.equal(['cluster.yaml']);
      expect(bashComplete(['dust', '--region', 'eu-w'])).to.deep.equal(['eu-west-1', 'eu-west-2', 'eu-west-3']);
      expect(bashComplete(['dust', '--profile', ''])).to.deep.equal(['default', 'prod']);
      expect(bashComplete(['dust', 'emulator', '--p'])).to.deep.equal(['--port']);
    });

    it('Kubernetes: --kubeconfig files, --kube-context and --namespace from the kubeconfig kubectl would read', () => {
      const kube = path.join(tmp.home, '.kube');
      fs.mkdirSync(kube, { recursive: true });
      const context = (name: string, namespace?: string) => ({ name, context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } });
      fs.writeFileSync(path.join(kube, 'config'), JSON.stringify({ contexts: [context('prod-eu', 'payments'), context('prod-us'), context('staging', 'web')] }));
      const other = path.join(tmp.home, 'work', 'other-kubeconfig');
      fs.writeFileSync(other, 'contexts:\n  - { name: lab, context: { namespace: ml } }\n');
      expect(bashComplete(['dust', '--kube-context', 'prod'])).to.deep.equal(['prod-eu', 'prod-us']);
      expect(bashComplete(['dust', '--namespace', ''])).to.deep.equal(['payments', 'web']);
      // the file --kubeconfig names, not the default one
      expect(bashComplete(['dust', '--kubeconfig', other, '--kube-context', ''])).to.deep.equal(['lab']);
      expect(bashComplete(['dust', '--kubeconfig', 'oth'], { cwd: path.join(tmp.home, 'work') })).to.deep.equal(['other-kubeconfig']);
      expect(bashComplete(['dust', '--kube'])).to.deep.equal(['--kube-context', '--kubeconfig']);
    });

    it('-c takes a dust line: command words, then node and cluster names from the config, inside a quote', () => {
      expect(bashComplete(['dust', '-c', 'sho'])).to.deep.equal(["'show "]);
      expect(bashComplete(['dust', '-c', "'show wo"])).to.deep.equal(["'show worker0", "'show worker1", "'show worker2", "'show worker3"]);
      expect(bashComplete(['dust', '--command', "'use sl"])).to.deep.equal(["'use slurm1"]);
      expect(bashComplete(['dust', '-c', "'@we"])).to.deep.equal(["'@web1", "'@webtest"]);
      expect(bashComplete(['dust', '-c', "'gather --d"])).to.deep.equal(["'gather --diff "]);
      // the nodes of the config that --config names, not of the default one
      const other = path.join(tmp.home, 'other.yaml');
      fs.writeFileSync(other, 'nodes:\n  - { name: db7, host: 127.0.0.7 }\n');
      expect(bashComplete(['dust', '--config', other, '-c', "'show d"])).to.deep.equal(["'show db7"]);
    });
  });

  /** A real interactive shell in a PTY: what a person gets when pressing Tab. */
  async function typeInShell(shell: 'bash' | 'zsh', typed: string, closeWith = ''): Promise<string[]> {
    const args = shell === 'bash' ? ['--norc', '--noprofile', '-i'] : ['-f', '-i'];
    const term = pty.spawn(shell, args, { cols: 200, rows: 40, cwd: path.join(tmp.home, 'work'), env: { ...env, PS1: 'READY> ', PROMPT: 'READY> ' } });
    let out = '';
    term.onData((d) => { out += d; });
    const waitFor = async (re: RegExp, from: number) => {
      const deadline = Date.now() + 30000;
      while (!re.test(stripAnsi(out.slice(from)))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)} in:\n${stripAnsi(out)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await waitFor(/READY> /, 0);
      let mark = out.length;
      term.write(shell === 'bash' ? 'source <(dust completion bash); echo LOADED\r' : 'autoload -Uz compinit && compinit -u && source <(dust completion zsh); echo LOADED\r');
      await waitFor(/LOADED\r?\n[\s\S]*READY> /, mark);
      mark = out.length;
      // Keys queue in the terminal while a completion runs; then: end of line, close, and print each
      // argument on a line of its own, as the shell parsed the completed line.
      term.write(`${typed}\x05${closeWith}\x01printf "<%s>\\n" \r`);
      await waitFor(/(<[^>\n]*>\r?\n)+[\s\S]*READY> /, mark);
      return [...stripAnsi(out.slice(mark)).matchAll(/^<([^>\n]*)>\r?$/gm)].map((m) => m[1]!);
    } finally {
      term.kill();
    }
  }

  describe('in a real terminal', () => {
    it('bash: Tab completes a quoted dust line and a --config file', async function () {
      if (!hasShell('bash')) this.skip();
      expect(await typeInShell('bash', "dust -c 'show wo\t", "'")).to.deep.equal(['dust', '-c', 'show worker']);
      // a unique match: bash closes the quote itself (readline does that for any quoted word)
      expect(await typeInShell('bash', 'dust -c sho\tmas\t')).to.deep.equal(['dust', '-c', 'show master']);
      expect(await typeInShell('bash', 'dust --config clu\t')).to.deep.equal(['dust', '--config', 'cluster.yaml']);
      expect(await typeInShell('bash', 'dust --config=clu\t')).to.deep.equal(['dust', '--config=cluster.yaml']);
    });

    it('zsh: Tab completes options, a dust line (quoting it), node names and --config files', async function () {
      if (!hasShell('zsh')) this.skip(); // .ci/run installs zsh
      expect(await typeInShell('zsh', 'dust --conf\tclu\t')).to.deep.equal(['dust', '--config', 'cluster.yaml']);
      expect(await typeInShell('zsh', 'dust -c sho\two\t1')).to.deep.equal(['dust', '-c', 'show worker1']);
      expect(await typeInShell('zsh', "dust -c 'use sl\t", "'")).to.deep.equal(['dust', '-c', 'use slurm1']);
      expect(await typeInShell('zsh', 'dust --region us-we\t2')).to.deep.equal(['dust', '--region', 'us-west-2']);
    });
  });
});
