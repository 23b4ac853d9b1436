import type { CommandSpec } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

/** Fake credentials the emulator accepts (it checks no signature; the SDK just needs some). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'dust-emulator', secretAccessKey: 'dust-emulator' };

/**
 * `emulator`: serves dust's EC2 emulator over HTTP on loopback until Ctrl-C, for trying dust (or the
 * AWS CLI, or any SDK) against EC2 without an account. `--k8s` serves the Kubernetes emulator instead
 * (src/kubernetes/emulator, loaded only then).
 */
export const emulatorCommand: CommandSpec = {
  name: 'emulator',
  usage: 'emulator [--k8s [--kubeconfig FILE]] [--port N] [--host 127.0.0.1] [--seed demo|none]',
  summary: 'run the built-in EC2 (or, with --k8s, Kubernetes) emulator on 127.0.0.1 until Ctrl-C',
  help: 'Serves the EC2 Query API (DescribeInstances, Run/Start/Stop/Terminate, tags, regions, images, key pairs,\n'
    + 'security groups) from memory on a loopback port. `--seed demo` (default) starts with the demo fleet\n'
    + '(clusters slurm1 and webtest; their addresses are for display, no SSH). State is lost on exit.\n'
    + '--k8s serves a Kubernetes API server instead (HTTPS, kubectl 1.30+ and client-node work against it): pods\n'
    + 'are shells on this machine in sandboxed directories; a kubeconfig is written to --kubeconfig FILE\n'
    + '(default $DUST_HOME/k8s-emulator/kubeconfig) and removed on exit.',
  examples: ['emulator --port 4566', 'emulator --seed none', 'emulator --k8s --port 6443'],
  target: { mode: 'none' },
  flags: {
    port: { type: 'string', short: 'p', description: 'TCP port (default: any free port)' },
    host: { type: 'string', description: 'loopback address to listen on (default 127.0.0.1)' },
    seed: { type: 'string', description: 'initial instances (or pods): demo (default) or none' },
    k8s: { type: 'boolean', description: 'serve the Kubernetes emulator instead of EC2' },
    kubeconfig: { type: 'string', description: 'with --k8s: where to write the kubeconfig', path: 'file' },
  },
  async run(ctx) {
    // Loaded when the command runs: the emulator is some thirty modules no prompt needs.
    const { Ec2EmulatorCore, isLoopbackHost, loopbackPublicPool, startEc2EmulatorServer } = await import('../../ec2/emulator/index.js');
    const { DEMO_REGION, seedDemoFleet } = await import('../../ec2/demo-fleet.js');
    const host = typeof ctx.flags['host'] === 'string' ? ctx.flags['host'] : '127.0.0.1';
    if (!isLoopbackHost(host)) {
      throw new DustError(ErrorCodes.Usage, `emulator: refusing to listen on ${host}: the emulator has no authentication and stays on loopback`, {
        hint: 'use 127.0.0.1 (or another 127.x address, ::1, localhost)',
      });
    }
    const portText = typeof ctx.flags['port'] === 'string' ? ctx.flags['port'] : '0';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DustError(ErrorCodes.Usage, `emulator: --port must be 0..65535, not '${portText}'`);
    const seed = typeof ctx.flags['seed'] === 'string' ? ctx.flags['seed'] : 'demo';
    if (seed !== 'demo' && seed !== 'none') throw new DustError(ErrorCodes.Usage, `emulator: --seed is demo or none, not '${seed}'`);
    const kubeconfig = typeof ctx.flags['kubeconfig'] === 'string' ? ctx.flags['kubeconfig'] : undefined;
    if (ctx.flags['k8s'] === true) {
      const { serveKubeEmulator } = await import('../../kubernetes/emulator/serve.js');
      return serveKubeEmulator(ctx, { host, port, seed, kubeconfig });
    }
    if (kubeconfig !== undefined) throw new DustError(ErrorCodes.Usage, 'emulator: --kubeconfig goes with --k8s', { hint: 'emulator --k8s --kubeconfig FILE' });

    // Loopback public addresses: a user pointing dust at this emulator and typing `@* uptime` stays on this machine.
    const core = new Ec2EmulatorCore({ defaultRegion: DEMO_REGION, addressPool: { public: loopbackPublicPool() } });
    if (seed === 'demo') seedDemoFleet(core);
    let server;
    try {
      server = await startEc2EmulatorServer({ core, host, port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new DustError(ErrorCodes.Usage, `emulator: port ${port} on ${host} is in use`, { hint: 'pick another --port, or 0 for any free one', cause: err });
      throw err;
    }
    const env = `AWS_ENDPOINT_URL_EC2=${server.url} AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey} AWS_REGION=${DEMO_REGION}`;
    ctx.out.success(`EC2 emulator listening on ${server.url} (region ${DEMO_REGION}${seed === 'demo' ? ', demo fleet seeded' : ''}); Ctrl-C stops it`);
    ctx.out.print(`  dust:    ${env} dust`);
    ctx.out.print(`  or:      dust --endpoint-url ${server.url} --region ${DEMO_REGION}   (with any AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`);
    ctx.out.print(`  aws cli: ${env} aws ec2 describe-instances`);
    try {
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) return resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await server.close();
    }
    ctx.out.info("EC2 emulator stopped; its state is gone");
    return true;
  },
};
