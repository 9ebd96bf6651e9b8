import { Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AnoleError } from '../core/error-codes.ts';

/**
 * How a request body was sent: its Content-Encoding (gzip and deflate are decoded, with the body
 * limit applied to the decoded size) and its charset (UTF-8, US-ASCII and ISO-8859-1 are read). Any
 * other encoding or charset is a 415: reading compressed or UTF-16 bytes as text would reject every
 * event, and a 204 would then hide that nothing was stored.
 */

export type BodyCoding = 'identity' | 'gzip' | 'deflate';

/** Said in the Accept-Encoding of a 415 (RFC 7694) and in its message. */
export const ACCEPTED_CODINGS = 'gzip, deflate';

/** The coding a Content-Encoding header names, or null when it is not one Anole decodes. */
export function bodyCoding(header: string): BodyCoding | null {
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  // Several codings stacked on one body are legal but no client of this API sends them.
  if (codings.length > 1) return null;
  if (codings[0] === 'gzip' || codings[0] === 'x-gzip') return 'gzip';
  if (codings[0] === 'deflate') return 'deflate';
  return null;
}

/** HTTP's `deflate` is the zlib format (RFC 1950); some clients send raw deflate, which is read too. */
function isZlibHeader(head: Buffer): boolean {
  const [cmf, flg] = [head[0] ?? 0, head[1] ?? 0];
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

/**
 * Inflates a body as it arrives and fails as soon as the decoded bytes pass `limit`: the inflater
 * is destroyed there, so a zip bomb costs at most `limit` bytes of output, never its full size.
 * `receivedEncodedLength` is what fastify compares with Content-Length and with the limit too.
 */
class DecodedBody extends Transform {
  receivedEncodedLength = 0;
  private inflater: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | null = null;
  private head: Buffer | null = null;
  private decoded = 0;

  constructor(
    private readonly coding: 'gzip' | 'deflate',
    private readonly limit: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    let input = chunk;
    if (!this.inflater) {
      input = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      // Two bytes tell zlib from raw deflate; a client may send fewer in its first chunk.
      if (this.coding === 'deflate' && input.length < 2) {
        this.head = input;
        return done();
      }
      this.head = null;
      this.inflater = this.open(input);
    }
    if (this.inflater.write(input)) done();
    else this.inflater.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    if (!this.inflater && !this.head) return done(); // an empty body decodes to an empty body
    const inflater = this.inflater ?? this.open(this.head!);
    if (this.head) inflater.write(this.head);
    inflater.once('end', () => done());
    inflater.end();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inflater?.destroy();
    done(error);
  }

  private open(head: Buffer): zlib.Gunzip | zlib.Inflate | zlib.InflateRaw {
    const inflater = this.coding === 'gzip' ? zlib.createGunzip() : isZlibHeader(head) ? zlib.createInflate() : zlib.createInflateRaw();
    inflater.on('data', (data: Buffer) => {
      if (this.destroyed) return;
      this.decoded += data.length;
      if (this.decoded > this.limit) {
        inflater.destroy();
        this.destroy(new AnoleError('body_too_large', `the ${this.coding} body decodes to more than ${this.limit} bytes, the limit of this route`));
        return;
      }
      this.push(data);
    });
    inflater.on('error', (error) => this.destroy(new AnoleError('invalid_body', `Content-Encoding is ${this.coding} but the body is not: ${error.message}`)));
    return inflater;
  }
}

/** Whether the request carries a body at all (fastify reads none otherwise). */
export function hasBody(request: FastifyRequest): boolean {
  const { 'content-length': length, 'transfer-encoding': chunked } = request.headers;
  return chunked !== undefined || (length !== undefined && length !== '0');
}

/** The charset parameter of a Content-Type, lower-cased, by one split (no pattern over a header). */
function charsetParameter(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq !== -1 && parameter.slice(0, eq).trim().toLowerCase() === 'charset') {
      const value = parameter.slice(eq + 1).trim();
      return (value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value).toLowerCase();
    }
  }
  return undefined;
}

/** Node's name for the charset a Content-Type names, or null when Anole does not read it. */
export function bodyCharset(contentType: string | undefined): BufferEncoding | null {
  const name = contentType === undefined ? undefined : charsetParameter(contentType);
  if (name === undefined || name === '' || name === 'utf-8' || name === 'utf8') return 'utf8';
  if (name === 'us-ascii' || name === 'ascii') return 'utf8'; // ASCII is UTF-8
  if (name === 'iso-8859-1' || name === 'latin1') return 'latin1';
  return null;
}

/**
 * Installs both: a preParsing hook that answers an unknown Content-Encoding 415 before the body is
 * read and decodes gzip and deflate as a stream, and the one body parser, which reads every body as
 * text in its charset (the Kameleoon SDKs send any Content-Type; the `json` flag decides the format).
 */
export function installBodyDecoding(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, reply, payload: Readable) => {
    const header = request.headers['content-encoding'];
    if (header === undefined || !hasBody(request)) return payload;
    const coding = bodyCoding(header);
    if (coding === null) {
      void reply.header('Accept-Encoding', ACCEPTED_CODINGS);
      throw new AnoleError('unsupported_media_type', `Content-Encoding ${JSON.stringify(header.slice(0, 64))} is not supported; send ${ACCEPTED_CODINGS} or no encoding`);
    }
    if (coding === 'identity') return payload;
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024;
    const decoded = payload.pipe(new DecodedBody(coding, limit));
    // The body parser listens for errors only while it reads; a request answered without reading
    // its body (a Content-Length over the limit, a route that takes none) must not leave an error
    // with no listener, which would end the process. Once the answer is sent, the decoder is let go
    // and Node discards the rest of the body as it does for any unread one.
    decoded.on('error', () => undefined);
    reply.raw.once('close', () => {
      if (decoded.writableFinished) return;
      payload.unpipe(decoded);
      decoded.destroy();
    });
    return decoded;
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = bodyCharset(request.headers['content-type']);
    if (charset === null) {
      done(new AnoleError('unsupported_media_type', `the body's charset is not supported; send UTF-8 (or US-ASCII, ISO-8859-1)`));
      return;
    }
    done(null, (body as Buffer).toString(charset));
  });
}
