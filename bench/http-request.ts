import http from 'node:http';

export interface Target {
  host: string;
  port: number;
}

/** One request on a keep-alive agent, body read whole: the load clients' only HTTP primitive. */
export function httpRequest(agent: http.Agent, target: Target, method: string, path: string, body: string | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = body === null ? {} : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ agent, host: target.host, port: target.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}
