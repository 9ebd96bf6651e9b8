import net from 'node:net';

export interface RawReply {
  /** The raw bytes the server wrote before closing (or before the wait ended). */
  raw: string;
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection within the wait. */
  closed: boolean;
}

/**
 * Writes raw bytes to the server, as a hostile or broken client would, and reads the first answer.
 * `closed` tells whether the server then closed the connection (within `waitMs`).
 */
export function rawRequest(url: string, bytes: string | Buffer, waitMs = 2000): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const head = end === -1 ? raw : raw.slice(0, end);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
      let body = end === -1 ? '' : raw.slice(end + 4);
      const length = headers['content-length'];
      if (length !== undefined) body = body.slice(0, Number(length));
      resolve({ raw, status: status ? Number(status) : null, headers, body: Buffer.from(body, 'latin1').toString('utf8'), closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        closed = true;
        finish();
      } else reject(error);
    });
    socket.write(bytes);
  });
}
