/**
 * The results page's options, read from its URL, and the API path they ask for. Kept apart from
 * the page module so that the app can send the request while that module is still loading.
 */
import { enc, withQuery } from './api.js';

export const CONFIDENCES = ['0.8', '0.9', '0.95', '0.99'];

export function resultsOptions(route) {
  const q = route.query;
  return {
    level: q.level === 'visit' ? 'visit' : 'visitor',
    confidence: CONFIDENCES.includes(q.confidence) ? q.confidence : '0.95',
    goal: /^[0-9]{1,10}$/.test(q.goal ?? '') ? q.goal : 'all',
    chart: q.chart === 'daily' ? 'daily' : 'cumulative',
  };
}

export function resultsPath(route) {
  const o = resultsOptions(route);
  return withQuery(`/api/sites/${enc(route.site)}/experiments/${route.experimentId}/results`, {
    level: o.level,
    confidence: o.confidence,
    goalId: o.goal === 'all' ? undefined : o.goal,
  });
}
