/**
 * A generated experiment posted over real HTTP: the data the dashboard tests (and its screenshots)
 * look at. Deterministic: the same seed gives the same events, backdated over `days` days.
 */
const DAY = 86_400_000;

export const DEMO = {
  site: 'demo-shop',
  experimentId: 4001,
  goals: { purchase: 36151, signup: 36152 },
  variations: [
    { id: 1, name: 'Control' },
    { id: 2, name: 'Bigger button' },
    { id: 3, name: 'Free shipping banner' },
  ],
};

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

async function admin(baseUrl: string, key: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

export interface DemoOptions {
  persons?: number;
  days?: number;
  now?: number;
  seed?: number;
  /** Requests in flight at once while posting. */
  connections?: number;
}

/**
 * `persons` visitors over the last `days` days (inside the 30-day late-event horizon): each sees a
 * page and is exposed to one of three variations; variations 2 and 3 buy somewhat more often; some
 * sign up; 3% of purchases are refunded. Lines come person by person, so any number can be streamed.
 */
export function* demoEventLines(options: DemoOptions = {}): Generator<string> {
  const persons = options.persons ?? 1_200;
  const days = options.days ?? 14;
  const now = options.now ?? Date.now();
  const rand = random(options.seed ?? 7);
  const { experimentId, goals, variations } = DEMO;
  const purchaseRate = [0.08, 0.095, 0.11];
  let nonce = 1;
  for (let p = 0; p < persons; p++) {
    const code = `demo-${p}`;
    const variation = p % 3;
    // Later days get more traffic.
    const start = now - days * DAY + Math.floor(Math.sqrt(rand()) * (days * DAY - 3_600_000));
    const line = (t: number, rest: string) => `${rest}&nonce=${hex16(nonce++)}&visitorCode=${code}&time=${t}`;
    yield line(start, 'eventType=page&href=https%3A%2F%2Fshop.example%2Fcheckout&title=Checkout');
    yield line(start + 1_000, `eventType=experiment&id=${experimentId}&variationId=${variations[variation]!.id}`);
    if (rand() < purchaseRate[variation]!) {
      const revenue = (20 + rand() * 80).toFixed(2);
      const t = start + 60_000 + Math.floor(rand() * 600_000);
      yield line(t, `eventType=conversion&goalId=${goals.purchase}&revenue=${revenue}&negative=false`);
      if (rand() < 0.03) yield line(t + 3_600_000, `eventType=conversion&goalId=${goals.purchase}&revenue=${revenue}&negative=true`);
    }
    if (rand() < 0.2) yield line(start + 30_000, `eventType=conversion&goalId=${goals.signup}&revenue=0&negative=false`);
  }
}

/** Registers the demo experiment and its goals, then posts its events in 5,000-line bodies; answers the events posted. */
export async function postDemoExperiment(baseUrl: string, adminKey: string, options: DemoOptions = {}): Promise<number> {
  const { site, experimentId, goals, variations } = DEMO;
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/experiments/${experimentId}`, { name: 'Checkout button', variations, referenceVariationId: 1 });
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/goals/${goals.purchase}`, { name: 'Purchase', kind: 'revenue' });
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/goals/${goals.signup}`, { name: 'Newsletter sign-up', kind: 'conversion' });
  const lines = demoEventLines(options);
  let posted = 0;
  const worker = async () => {
    for (;;) {
      const body: string[] = [];
      for (let next = lines.next(); !next.done; next = body.length < 5_000 ? lines.next() : { done: true, value: undefined }) body.push(next.value);
      if (body.length === 0) return;
      const response = await fetch(`${baseUrl}/visit/events?siteCode=${site}`, { method: 'POST', body: body.join('\n') });
      if (response.status !== 204) throw new Error(`posting the demo experiment: ${response.status} ${await response.text()}`);
      posted += body.length;
    }
  };
  await Promise.all(Array.from({ length: options.connections ?? 1 }, worker));
  return posted;
}
