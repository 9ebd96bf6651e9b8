import fs from 'node:fs';
import { openapiMarkdown, type OpenApiDocument } from '../src/http/openapi-markdown.ts';
import { startTestServer } from '../test/helpers/test-server.ts';

// Regenerates docs/api-reference.md from a throwaway server's GET /openapi.json (test/openapi.test.ts fails until it is).
const server = await startTestServer();
try {
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  fs.writeFileSync(new URL('../docs/api-reference.md', import.meta.url), openapiMarkdown(doc));
  console.log('docs/api-reference.md written');
} finally {
  await server.stop();
}
