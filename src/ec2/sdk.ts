import { createRequire } from 'node:module';

/** The `@aws-sdk/client-ec2` module, typed. Only ever obtained through `loadEc2Sdk()`. */
export type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

let loaded: Ec2Sdk | undefined;

/**
 * Loads the AWS SDK on first use. It costs 250–420 ms and ~70 MiB, so nothing on dust's start-up path
 * may import it (types only: `import type`). The package has no `exports` map and its `main` is the
 * CommonJS bundle, which is what an ESM `import()` would load too — through Node's CJS named-export
 * detection over a 2 MB file, about twice as slow. `createRequire` loads the very same module
 * instance (one copy, shared with any plugin that imports the SDK) without that cost.
 */
export function loadEc2Sdk(): Ec2Sdk {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  loaded = require('@aws-sdk/client-ec2') as Ec2Sdk;
  return loaded;
}

/** Whether the SDK is already loaded in this process (tests assert that start-up does not load it). */
export function ec2SdkLoaded(): boolean {
  return loaded !== undefined;
}

/**
 * Runs `fn` (a client construction, where the SDK emits it) with the SDK's "versions after January 2027
 * need Node 22" warning disabled: it is not actionable for a dust user. The environment is restored.
 */
export function withoutNodeVersionWarning<T>(fn: () => T): T {
  const key = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
  const before = process.env[key];
  process.env[key] = 'true';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[key];
    else process.env[key] = before;
  }
}
