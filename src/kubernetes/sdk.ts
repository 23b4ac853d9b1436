/** The `@kubernetes/client-node` module, typed. Only ever obtained through `loadKubeSdk()`. */
export type KubeSdk = typeof import('@kubernetes/client-node');

let loading: Promise<KubeSdk> | undefined;
let loaded = false;

/**
 * Loads client-node on first use. It costs most of a second and ~35 MB of heap, so nothing on dust's start-up
 * path may import it (types only: `import type`); it loads when Kubernetes is configured and first used.
 */
export function loadKubeSdk(): Promise<KubeSdk> {
  loading ??= import('@kubernetes/client-node').then((sdk) => {
    loaded = true;
    return sdk;
  });
  return loading;
}

/** Whether client-node is already loaded in this process (tests assert start-up does not load it). */
export function kubeSdkLoaded(): boolean {
  return loaded;
}
