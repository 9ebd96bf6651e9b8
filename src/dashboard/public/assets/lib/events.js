/** One line of text per event, for timelines and the live tail. */
import { fmt } from './format.js';

export function eventSummary(event) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'conversion':
      return `goal ${d.goalId}${d.revenue ? `, revenue ${fmt.money(d.revenue)}` : ''}${d.negative ? ' (refund)' : ''}`;
    case 'experiment':
      return `experiment ${d.id}, variation ${d.variationId}`;
    case 'personalization':
      return `personalization ${d.id}, variation ${d.variationId}`;
    case 'page':
      return d.title ? `${d.title} — ${d.href}` : d.href ?? '';
    case 'customData': {
      const values = Object.keys(d.valuesCountMap ?? {}).join(', ');
      return `custom data ${d.index}: ${values}${d.mappingIdentifier ? ' (links this device to that user id)' : ''}`;
    }
    case 'targetingSegment':
      return `segment ${d.id}`;
    case 'geolocation':
      return [d.city, d.region, d.country].filter(Boolean).join(', ');
    case 'staticData':
      return [d.deviceType, d.browser, d.os].filter(Boolean).join(' · ') || 'device data';
    default:
      return '';
  }
}

export function identityText(identity) {
  return identity.kind === 'mappingValue' ? `mappingValue ${identity.value}` : `visitorCode ${identity.value}`;
}
