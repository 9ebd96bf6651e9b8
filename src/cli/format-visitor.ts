import { DateTime } from 'luxon';

interface EventJson {
  time: number;
  data: Record<string, unknown>;
}

type VisitJson = { visitorCode: string; timeStarted: number; timeLastEvent: number } & Record<string, unknown>;

export interface VisitorAnswer {
  currentVisit?: VisitJson;
  previousVisits?: VisitJson[];
}

/** The answer's event arrays, keyed as GET /visit/visitor names them, with the word each event reads as. */
const ARRAYS: Record<string, string> = {
  experimentEvents: 'experiment',
  personalizationEvents: 'personalization',
  conversionEvents: 'conversion',
  customDataEvents: 'custom data',
  pageEvents: 'page',
  geolocationEvents: 'geolocation',
  targetingSegmentEvents: 'segment',
};

function describe(kind: string, data: Record<string, unknown>): string {
  switch (kind) {
    case 'conversion': {
      const revenue = typeof data.revenue === 'number' && data.revenue !== 0 ? `, revenue ${data.revenue.toFixed(2)}` : '';
      const metadata = data.metadata && typeof data.metadata === 'object' && Object.keys(data.metadata).length > 0 ? `, ${JSON.stringify(data.metadata)}` : '';
      return `conversion  goal ${String(data.goalId)}${revenue}${data.negative === true ? '  REFUND' : ''}${metadata}`;
    }
    case 'experiment':
    case 'personalization':
      return `${kind}  ${String(data.id)}, variation ${String(data.variationId)}`;
    case 'custom data':
      return `custom data  #${String(data.index)} ${JSON.stringify(data.valuesCountMap)}${data.mappingIdentifier === true ? '  (links a user id)' : ''}`;
    case 'page':
      return `page  ${String(data.href)}${data.title ? ` "${String(data.title)}"` : ''}`;
    case 'geolocation':
      return `geolocation  ${[data.city, data.region, data.country].filter((x) => typeof x === 'string' && x !== '').join(', ')}`;
    default:
      return `${kind}  ${String(data.id ?? '')}`;
  }
}

/** GET /visit/visitor's answer as a timeline: visits newest first, each event on a line, local times with their offset. */
export function formatVisitor(answer: VisitorAnswer, options: { siteCode: string; who: string; zone: string }): string {
  const at = (ms: number) => DateTime.fromMillis(ms, { zone: options.zone }).toFormat('yyyy-MM-dd HH:mm:ss ZZ');
  const visits: { label: string; visit: VisitJson }[] = [];
  if (answer.currentVisit) visits.push({ label: 'Current visit', visit: answer.currentVisit });
  for (const [i, visit] of (answer.previousVisits ?? []).entries()) visits.push({ label: `Previous visit ${i + 1}`, visit });
  if (visits.length === 0) return `No visits for ${options.who} on site ${options.siteCode}.\n`;
  const out = [`${options.who} on site ${options.siteCode}: ${visits.length} visit${visits.length === 1 ? '' : 's'}, newest first`];
  for (const { label, visit } of visits) {
    out.push('', `${label}: started ${at(visit.timeStarted)}, last event ${at(visit.timeLastEvent)}, device ${visit.visitorCode}`);
    const events: { time: number; text: string }[] = [];
    for (const [key, kind] of Object.entries(ARRAYS)) {
      for (const event of (visit[key] as EventJson[] | undefined) ?? []) events.push({ time: event.time, text: describe(kind, event.data) });
    }
    events.sort((a, b) => a.time - b.time);
    if (events.length === 0) out.push('  (no events of the types shown)');
    for (const event of events) out.push(`  ${at(event.time)}  ${event.text}`);
  }
  return `${out.join('\n')}\n`;
}
