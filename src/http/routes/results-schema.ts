import { NULL_REASONS } from '../../core/stats/figure.ts';
import { BOOLEAN, EPOCH_MS, INTEGER, nullable, NUMBER, object, STRING } from '../openapi.ts';

/** The answers of the results and explain routes (docs/results.md, docs/statistics.md). */

const missing = object({ value: { type: 'null' }, reason: { type: 'string', enum: Object.keys(NULL_REASONS), description: 'Why the figure is undefined (docs/statistics.md).' } });
const figureOf = (value: object) => ({ anyOf: [object({ value }), missing] });
export const FIGURE_SCHEMA = figureOf(NUMBER);
const figure = FIGURE_SCHEMA;
const interval = figureOf(object({ lower: NUMBER, upper: NUMBER }));

const sharedComparison = {
  absoluteDifference: figure,
  absoluteInterval: interval,
  relativeImprovement: figure,
  relativeInterval: interval,
  pValue: figure,
  reliability: figure,
};
const proportions = object({ referenceRate: figure, variationRate: figure, ...sharedComparison, zScore: figure });
const means = object({ referenceMean: figure, variationMean: figure, ...sharedComparison, tStatistic: figure, degreesOfFreedom: figure });
const sequential = object({
  absoluteDifference: figure,
  absoluteInterval: interval,
  absolutePValue: figure,
  relativeImprovement: figure,
  relativeInterval: interval,
  relativePValue: figure,
});
const cuped = nullable(
  object({ theta: figure, referenceMean: figure, variationMean: figure, ...sharedComparison, zScore: figure, varianceReduction: figure }, { description: 'Visitor level only; null at visit level.' }),
);
const metric = (frequentist: object) => object({ frequentist, probabilityToBeat: figure, sequential, cuped });

const variation = object({
  variationId: INTEGER,
  name: STRING,
  reference: BOOLEAN,
  units: INTEGER,
  convertedUnits: INTEGER,
  conversions: NUMBER,
  conversionRate: nullable(NUMBER),
  revenue: NUMBER,
  revenuePerUnit: nullable(NUMBER),
  conversionsPerUnit: nullable(NUMBER),
  comparison: nullable(
    object(
      { conversionRate: metric(proportions), revenuePerUnit: metric(means), conversionsPerUnit: metric(means) },
      { description: 'Against the reference variation; null for the reference itself.' },
    ),
  ),
});

const dailyVariation = object({
  units: INTEGER,
  convertedUnits: INTEGER,
  conversions: INTEGER,
  conversionRate: nullable(NUMBER),
  revenue: NUMBER,
  conversionRateInterval: { ...interval, description: 'Wald interval of the cumulative conversion rate.' },
  relativeImprovement: nullable({ ...figure, description: 'Cumulative relative improvement over the reference; null for the reference.' }),
  relativeInterval: nullable({ ...interval, description: 'Its delta-method interval; null for the reference.' }),
});

const analysisPeriod = object({ start: nullable(EPOCH_MS), end: nullable(EPOCH_MS) });
const trafficSplit = nullable({ type: 'object', additionalProperties: NUMBER, description: 'Expected weight per variation id; null means an equal split.' });

export const RESULTS_SCHEMA = object({
  siteCode: STRING,
  experiment: object({
    id: INTEGER,
    name: STRING,
    status: STRING,
    referenceVariationId: nullable(INTEGER),
    analysisPeriod,
    trafficSplit,
  }),
  level: { type: 'string', enum: ['visitor', 'visit'] },
  confidence: NUMBER,
  attributionWindowMs: INTEGER,
  pendingRecomputations: { ...INTEGER, description: 'Identities still waiting for the attribution worker, plus the persons a site-wide recomputation (after a settings or period change) has still to do.' },
  units: { type: 'object', additionalProperties: INTEGER, description: 'Exposed units per variation id.' },
  health: object({
    persons: INTEGER,
    multipleVariationPersons: INTEGER,
    excludedOutlierVisits: INTEGER,
    srm: nullable(
      object({
        variations: { type: 'array', items: INTEGER },
        observed: { type: 'array', items: INTEGER },
        chiSquare: figure,
        degreesOfFreedom: INTEGER,
        pValue: figure,
        mismatch: BOOLEAN,
        expected: { type: 'array', items: NUMBER },
      }),
    ),
    warnings: { type: 'array', items: STRING },
  }),
  goals: {
    type: 'array',
    items: object({
      goalId: INTEGER,
      name: STRING,
      kind: STRING,
      variations: { type: 'array', items: variation },
      series: { type: 'array', items: object({ day: { ...STRING, description: 'UTC day, YYYY-MM-DD.' }, variations: { type: 'object', additionalProperties: dailyVariation } }) },
    }),
  },
});

export const CONVERSION_VERDICT_SCHEMA = object(
  {
    time: EPOCH_MS,
    goalId: INTEGER,
    revenue: NUMBER,
    negative: BOOLEAN,
    refund: BOOLEAN,
    visitorCode: STRING,
    nonce: { ...STRING, description: 'The conversion event\'s nonce.' },
    counted: BOOLEAN,
    reason: { type: 'string', enum: ['in_window', 'before_exposure', 'after_window', 'outside_period', 'outlier_visit'] },
    exposureTime: { ...EPOCH_MS, description: 'The exposure whose window admitted it, when counted.' },
    explanation: STRING,
  },
  { optional: ['exposureTime'] },
);

export const EXPLAIN_SCHEMA = object(
  {
    siteCode: STRING,
    experimentId: INTEGER,
    person: { ...STRING, description: '`m:<mapping value>` or `v:<visitor code>`.' },
    visitorCodes: { type: 'array', items: STRING },
    exposed: BOOLEAN,
    explanation: { ...STRING, description: 'When the person was never exposed.' },
    variationId: INTEGER,
    firstExposure: EPOCH_MS,
    variationsSeen: { type: 'array', items: INTEGER },
    attributionWindowMs: INTEGER,
    conversions: { type: 'array', items: CONVERSION_VERDICT_SCHEMA },
  },
  { optional: ['explanation', 'variationId', 'firstExposure', 'variationsSeen', 'attributionWindowMs', 'conversions'] },
);
