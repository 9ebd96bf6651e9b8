/**
 * Bodies of POST /visit/events chosen to make the answer as large as possible next to the body:
 * the smallest lines that are rejected or accepted, codes that alternate so no range can be
 * merged, blank lines between rejected ones, many warnings per event, the largest echoes. Shared by
 * the test that bounds answer/body (test/answer-size.test.ts) and `npm run bench:answers`, which
 * prints the figures docs/limits.md states.
 */
export interface AnswerSizeCase {
  name: string;
  /** Query after `siteCode=…&`. */
  query: string;
  body: string;
  /** The status the answer must have. */
  status: 200 | 400;
}

const EVENTS = 100_000;
const hex = (n: number) => n.toString(16).padStart(16, '0');
const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join('\n');
/** The shortest valid line (the visitor code comes from the query). */
const activity = (i: number) => `eventType=activity&nonce=${hex(i)}`;

export function answerSizeCases(): AnswerSizeCase[] {
  return [
    { name: 'lines: 100,000 one-character lines, all rejected', query: 'visitorCode=v', body: lines(EVENTS, () => 'x'), status: 400 },
    {
      name: 'lines: 100,000 bad lines of 30 bytes (a 3 MB body)',
      query: 'visitorCode=v',
      body: lines(EVENTS, (i) => `eventType=zz&nonce=${String(i).padStart(10, '0')}`),
      status: 400,
    },
    { name: 'lines: two codes alternating, all rejected', query: 'visitorCode=v', body: lines(EVENTS, (i) => (i % 2 === 0 ? 'x' : 'eventType=q')), status: 400 },
    { name: 'lines: rejected lines between blank lines', query: 'visitorCode=v', body: lines(EVENTS, () => 'x\n'), status: 400 },
    { name: 'lines: one valid line, 99,999 rejected (verdicts)', query: 'visitorCode=v&verdicts=true', body: lines(EVENTS, (i) => (i === 0 ? activity(i) : 'x')), status: 200 },
    {
      name: 'lines: valid and rejected alternating (verdicts)',
      query: 'visitorCode=v&verdicts=true',
      body: lines(EVENTS, (i) => (i % 2 === 0 ? activity(i) : 'x')),
      status: 200,
    },
    // 42 bytes a line: 70,000 fit the 3 MB body limit.
    { name: 'lines: 70,000 shortest valid lines (dry run)', query: 'visitorCode=v&dryRun=true', body: lines(70_000, activity), status: 200 },
    {
      name: 'lines: 10 unknown fields on every event (dry run)',
      query: 'visitorCode=v&dryRun=true',
      body: lines(EVENTS / 4, (i) => `${activity(i)}&a=&b=&c=&d=&e=&f=&g=&h=&i=&j=`),
      status: 200,
    },
    {
      name: 'lines: 45 nonces of 64 KiB echoed (3 MB)',
      query: 'visitorCode=v&verdicts=true',
      body: lines(45, (i) => `eventType=activity&nonce=${String(i).padEnd(64 * 1024 - 40, 'f')}`),
      status: 400,
    },
    {
      // The fixed cost: 1,000 listed rejections with long messages, and the 1,000 warnings an answer lists.
      name: 'lines: 1,000 rejections with long messages and 10 unknown fields each',
      query: 'visitorCode=v',
      body: lines(1_000, (i) => `${activity(i)}&time=1&a=&b=&c=&d=&e=&f=&g=&h=&i=&j=`),
      status: 400,
    },
    { name: 'JSON: 100,000 items that are not objects', query: 'visitorCode=v&json=true', body: `[${Array.from({ length: EVENTS }, () => '1').join(',')}]`, status: 400 },
    { name: 'JSON: two codes alternating, all rejected', query: 'visitorCode=v&json=true', body: `[${Array.from({ length: EVENTS }, (_, i) => (i % 2 === 0 ? '1' : '{}')).join(',')}]`, status: 400 },
    {
      name: 'JSON: valid and invalid items alternating',
      query: 'visitorCode=v&json=true',
      body: JSON.stringify(Array.from({ length: EVENTS }, (_, i) => (i % 2 === 0 ? { eventType: 'activity', nonce: hex(i) } : 1))),
      status: 400,
    },
    {
      name: 'JSON: numbers and booleans as strings on every event (dry run)',
      query: 'visitorCode=v&json=true&dryRun=true',
      body: JSON.stringify(Array.from({ length: EVENTS / 4 }, (_, i) => ({ eventType: 'conversion', goalId: '1', revenue: '1', negative: '0', itp: '0', nonce: hex(i) }))),
      status: 200,
    },
  ];
}
