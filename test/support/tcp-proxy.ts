import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { inject } from 'vitest';

/**
 * A TCP proxy the test owns, between the system and a server (PostgreSQL): `close` is the
 * outage (new connections are refused, open ones are cut), `open` ends it on the same port.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const open = async () => {
    if (server) return;
    const listening = createServer((client) => {
      const upstream = connect(target.port, target.host);
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) socket.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
    port = (listening.address() as AddressInfo).port;
    server = listening;
  };

  const close = async () => {
    const listening = server;
    server = undefined;
    if (!listening) return;
    const closed = new Promise((resolve) => listening.close(resolve));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  await open();
  return {
    /** `url` with its host and port replaced by the proxy's. */
    via(url: string): string {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    open,
    close,
  };
}

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

/** A proxy in front of the test run's PostgreSQL server: `proxy.via(url)` reaches a database through it. */
export async function startDatabaseProxy(): Promise<TcpProxy> {
  const server = new URL(inject('databaseServerUrl'));
  return startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
}
