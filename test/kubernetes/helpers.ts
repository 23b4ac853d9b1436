import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DustNode } from '../../src/inventory/node.js';
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

/** Resolves when `predicate` holds, checking on every event the emitter-less world offers: polling briefly. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
