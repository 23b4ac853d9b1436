import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { isDustError, type DustError } from '../../src/errors/dust-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { DustNode } from '../../src/inventory/node.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import { ensureDustHome, type DustApp } from '../../src/shell/app.js';
import { composeDust, type ComposeOptions } from '../../src/compose.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import type { NodeDraft } from '../../src/inventory/provider.js';
import { type KubeEmulatorOptions, type KubeEmulatorServer, startKubeEmulator, writeKubeconfig } from '../../src/kubernetes/emulator/index.js';
import { createKubernetesIntegration, type KubernetesIntegration, type KubernetesIntegrationOptions } from '../../src/kubernetes/integration.js';

export interface KubeFixture {
  emulator: KubeEmulatorServer;
  /** A 0600 kubeconfig for the emulator. */
  kubeconfig: string;
  dir: string;
  integration(options?: KubernetesIntegrationOptions): Promise<KubernetesIntegration>;
  close(): Promise<void>;
}

/** An emulator on loopback (pods start at once unless delays say otherwise) and its kubeconfig in a temp dir. */
export async function kubeFixture(options: KubeEmulatorOptions & { namespace?: string; host?: string } = {}): Promise<KubeFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-k8s-test-'));
  const emulator = await startKubeEmulator({ delays: { start: 0, crash: 0, deletion: 0 }, sandboxDir: path.join(dir, 'pods'), ...options });
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, emulator.kubeconfig);
  const opened: KubernetesIntegration[] = [];
  return {
    emulator,
    kubeconfig,
    dir,
    integration: async (o = {}) => {
      const i = await createKubernetesIntegration({ kubeconfig, ...o });
      opened.push(i);
      return i;
    },
    close: async () => {
      for (const i of opened) await i.close();
      await emulator.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A node as the inventory would index it. */
export function asNode(draft: NodeDraft, index = 1): DustNode {
  return { ...draft, index };
}

export { eventually } from '../helpers/eventually.js';

/** The DustError `promise` rejects with (failing the test when it resolves, or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<DustError> {
  try {
    await promise;
  } catch (err) {
    expect(isDustError(err), String(err)).to.equal(true);
    return err as DustError;
  }
  throw new Error('expected a rejection');
}

/** A dust engine built from a config file (and drop-in plugin files) the way the CLI builds it, its output collected. */
export interface KubeEngine {
  app: DustApp;
  /** Everything the engine printed so far (no colour). */
  output(): string;
}

export async function kubeEngine(home: string, config: string, o: { plugins?: Record<string, string>; compose?: Partial<ComposeOptions> } = {}): Promise<KubeEngine> {
  ensureDustHome(home);
  for (const [name, text] of Object.entries(o.plugins ?? {})) fs.writeFileSync(path.join(home, 'plugins', name), text);
  const file = path.join(home, 'dust.yaml');
  fs.writeFileSync(file, config);
  const loaded = await loadConfig({ explicitFile: file, dustHome: home });
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => (output += d.toString()));
  const out = new TerminalOutput(sink as unknown as NodeJS.WriteStream, sink as unknown as NodeJS.WriteStream, { color: false });
  const app = await composeDust({
    version: 'test', dustHome: home, loaded, out, prompt: new NoTerminalPrompter(), interactive: false,
    terminal: { withTerminal: () => Promise.reject(new Error('no terminal')) },
    ...o.compose,
  });
  return { app, output: () => output };
}
