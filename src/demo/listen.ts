/**
 * Listening and closing for the emulators' HTTP servers (EC2 and Kubernetes), which the demo and the tests start
 * on loopback addresses, port 0 meaning "any free one".
 */
import { isIP, type Server as NetServer } from 'node:net';

/** http.Server and https.Server alike. */
type Server = NetServer & { closeAllConnections(): void };

/** Listens on `host:port`, rejecting on a bind error; gives the port bound and the host as a URL spells it. */
export async function listenOn(server: Server, host: string, port = 0): Promise<{ port: number; urlHost: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    urlHost: isIP(host) === 6 ? `[${host}]` : host,
  };
}

/** Stops listening and drops every open connection (keep-alive clients would otherwise hold `close` open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
