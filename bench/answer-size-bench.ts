/**
 * How large a POST /visit/events answer can get next to its body: every hostile case of
 * test/helpers/answer-size-cases.ts posted over loopback to a real server, with the body's and the
 * answer's bytes and their ratio. The answer caps (src/http/answer-caps.ts) bound the ratio for
 * large bodies; the fixed cost of the first 1,000 listed rejections and warnings dominates small ones.
 *
 *   npm run bench:answers
 */
import { answerSizeCases } from '../test/helpers/answer-size-cases.ts';
import { startTestServer } from '../test/helpers/test-server.ts';

const server = await startTestServer({ ANOLE_RATE_LIMITS: 'off' });
const rows: string[][] = [['case', 'status', 'body bytes', 'answer bytes', 'answer / body']];
try {
  let site = 0;
  for (const c of answerSizeCases()) {
    const res = await fetch(`${server.url}/visit/events?siteCode=answers${++site}&${c.query}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: c.body });
    const answer = Buffer.byteLength(await res.text());
    const body = Buffer.byteLength(c.body);
    rows.push([c.name, String(res.status), body.toLocaleString('en-US'), answer.toLocaleString('en-US'), (answer / body).toFixed(2)]);
  }
} finally {
  await server.stop();
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
