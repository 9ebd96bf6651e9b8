/**
 * The event model every part of Anole shares: what one line (or JSON object) of POST /visit/events
 * becomes once validated. Data shapes follow what GET /visit/visitor returns for each type, so a
 * stored event can be served back without re-interpretation.
 */

export const EVENT_TYPES = [
  'conversion',
  'customData',
  'page',
  'experiment',
  'personalization',
  'targetingSegment',
  'staticData',
  'geolocation',
  'activity',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The identity as sent: `visitorCode=X` and `mappingValue=X` are different identities. */
export type IdentityKind = 'visitorCode' | 'mappingValue';
export interface Identity {
  kind: IdentityKind;
  value: string;
}

export interface ConversionData {
  goalId: number;
  revenue: number;
  negative: boolean;
  metadata: Record<string, unknown>;
}
export interface CustomDataData {
  index: number;
  valuesCountMap: Record<string, number>;
  overwrite: boolean;
  mappingIdentifier: boolean;
}
export interface PageData {
  href: string;
  canonicalHref: string | null;
  title: string;
  keyPagesIndices: number[];
  referrerHref: string | null;
  referrersIndices: number[];
}
export interface VariationData {
  id: number;
  variationId: number;
}
export interface TargetingSegmentData {
  id: number;
}
export interface GeolocationData {
  country: string;
  region: string | null;
  city: string | null;
  postalCode: string | null;
  latitude: number | null;
  longitude: number | null;
}
/** Static data arrives in several partial lines (device, browser, OS, visit numbering); each keeps only what it carried. */
export interface StaticData {
  visitNumber?: number;
  timeSincePreviousVisit?: number;
  browser?: string;
  browserIndex?: number;
  browserVersion?: number;
  os?: string;
  osIndex?: number;
  deviceType?: string;
}
export type ActivityData = Record<string, never>;

export interface EventDataByType {
  conversion: ConversionData;
  customData: CustomDataData;
  page: PageData;
  experiment: VariationData;
  personalization: VariationData;
  targetingSegment: TargetingSegmentData;
  staticData: StaticData;
  geolocation: GeolocationData;
  activity: ActivityData;
}

export type TypedEvent = {
  [T in EventType]: { type: T; data: EventDataByType[T] };
}[EventType];

export interface SdkInfo {
  name: string;
  version: string;
}

/** A validated event, ready to be stored. `nonce` is lower-case so that comparison ignores case. */
export type VisitorEvent = TypedEvent & {
  identity: Identity;
  nonce: string;
  /** Event time in epoch ms: the receive time unless the client supplied an accepted `time`. */
  time: number;
  receivedAt: number;
  itp: boolean;
  sdk: SdkInfo | null;
};

/** Events sort by time, then nonce, so that order never depends on arrival. */
export function compareEvents(a: Pick<VisitorEvent, 'time' | 'nonce'>, b: Pick<VisitorEvent, 'time' | 'nonce'>): number {
  return a.time - b.time || (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0);
}
