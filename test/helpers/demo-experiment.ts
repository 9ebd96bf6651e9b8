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

async function post(baseUrl: string, site: string, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 5_000) {
    const response = await fetch(`${baseUrl}/visit/events?siteCode=${site}`, { method: 'POST', body: lines.slice(i, i + 5_000).join('\n') });
    if (response.status !== 204) throw new Error(`posting the demo experiment: ${response.status} ${await response.text()}`);
  }
}

async function admin(baseUrl: string, key: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/**
 * `persons` visitors over the last `days` days: each sees a page and is exposed to one of three
 * variations; variations 2 and 3 buy somewhat more often; some sign up; 3% of purchases are refunded.
 */
export async function postDemoExperiment(baseUrl: string, adminKey: string, options: { persons?: number; days?: number; now?: number; seed?: number } = {}): Promise<void> {
  const persons = options.persons ?? 1_200;
  const days = options.days ?? 14;
  const now = options.now ?? Date.now();
  const rand = random(options.seed ?? 7);
  const { site, experimentId, goals, variations } = DEMO;
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/experiments/${experimentId}`, { name: 'Checkout button', variations, referenceVariationId: 1 });
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/goals/${goals.purchase}`, { name: 'Purchase', kind: 'revenue' });
  await admin(baseUrl, adminKey, 'PUT', `/api/sites/${site}/goals/${goals.signup}`, { name: 'Newsletter sign-up', kind: 'conversion' });
  const purchaseRate = [0.08, 0.095, 0.11];
  const lines: string[] = [];
  let nonce = 1;
  for (let p = 0; p < persons; p++) {
    const code = `demo-${p}`;
    const variation = p % 3;
    // Later days get more traffic; every event lies inside the 30-day late-event horizon.
    const start = now - days * DAY + Math.floor(Math.sqrt(rand()) * (days * DAY - 3_600_000));
    const line = (t: number, rest: string) => `${rest}&nonce=${hex16(nonce++)}&visitorCode=${code}&time=${t}`;
    lines.push(line(start, 'eventType=page&href=https%3A%2F%2Fshop.example%2Fcheckout&title=Checkout'));
    lines.push(line(start + 1_000, `eventType=experiment&id=${experimentId}&variationId=${variations[variation]!.id}`));
    if (rand() < purchaseRate[variation]!) {
      const revenue = (20 + rand() * 80).toFixed(2);
      const t = start + 60_000 + Math.floor(rand() * 600_000);
      lines.push(line(t, `eventType=conversion&goalId=${goals.purchase}&revenue=${revenue}&negative=false`));
      if (rand() < 0.03) lines.push(line(t + 3_600_000, `eventType=conversion&goalId=${goals.purchase}&revenue=${revenue}&negative=true`));
    }
    if (rand() < 0.2) lines.push(line(start + 30_000, `eventType=conversion&goalId=${goals.signup}&revenue=0&negative=false`));
  }
  await post(baseUrl, site, lines);
}
