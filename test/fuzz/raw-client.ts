import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection before the client ended its side. */
  closedByServer: boolean;
  /** Neither an answer nor a close came within the wait after the client ended its side. */
  hung: boolean;
  /** Bytes after the last complete response (a response cut short, or not HTTP at all). */
  rest: string;
}

/** Splits what a server wrote into HTTP responses (Content-Length or chunked framing). */
export function parseResponses(raw: string): { responses: RawResponse[]; rest: string } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const [statusLine = '', ...lines] = raw.slice(at, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = end + 4;
    let body = '';
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bodyStart + length > raw.length) break;
      body = raw.slice(bodyStart, bodyStart + length);
      bodyStart += length;
    } else if (headers['transfer-encoding']?.includes('chunked')) {
      let cursor = bodyStart;
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', cursor);
        if (lineEnd === -1) return { responses, rest: raw.slice(at) };
        const size = parseInt(raw.slice(cursor, lineEnd), 16);
        cursor = lineEnd + 2;
        if (size === 0) {
          cursor += 2;
          break;
        }
        body += raw.slice(cursor, cursor + size);
        cursor += size + 2;
      }
      bodyStart = cursor;
    }
    responses.push({ status: Number(status[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') });
    at = bodyStart;
  }
  return { responses, rest: raw.slice(at) };
}

/**
 * Writes the bytes, waits up to `answerMs` for the server to answer or close (once it has written,
 * `quietMs` without more bytes), then ends the client's side and waits `closeMs` more for the
 * server to close.
 */
export function exchange(url: string, bytes: Buffer, answerMs = 400, closeMs = 3000, quietMs = 30): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let ended = false;
    let closedByServer = false;
    let settled = false;
    const finish = (hung: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(answerTimer);
      clearTimeout(closeTimer);
      socket.destroy();
      resolve({ ...parseResponses(Buffer.concat(chunks).toString('latin1')), closedByServer, hung });
    };
    let closeTimer: NodeJS.Timeout | undefined;
    const endOurSide = () => {
      if (ended || settled) return;
      ended = true;
      clearTimeout(answerTimer);
      socket.end();
      closeTimer = setTimeout(() => finish(true), closeMs);
    };
    let answerTimer = setTimeout(endOurSide, answerMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (ended) return;
      clearTimeout(answerTimer);
      answerTimer = setTimeout(endOurSide, quietMs);
    });
    socket.on('end', () => {
      if (!ended) closedByServer = true;
      finish(false);
    });
    socket.on('close', () => {
      if (!ended) closedByServer = true;
      finish(false);
    });
    socket.on('error', () => {
      if (!ended) closedByServer = true;
      finish(false);
    });
    socket.write(bytes);
  });
}
