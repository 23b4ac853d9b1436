/** A tiny HTTP server and client for the dashboard tests. */
import http from 'node:http';
import type net from 'node:net';

export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

export function startTinyServer(text: string): Promise<http.Server & { port: number }> {
  const server = http.createServer((req, res) => res.end(`${text} ${req.url}`));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { port: (server.address() as net.AddressInfo).port }))));
}
