import { textTable } from './text-table.ts';

type Figure = { value: number | null; reason?: string };
type IntervalFigure = { value: { lower: number; upper: number } | null; reason?: string };

interface Comparison {
  frequentist: { relativeImprovement: Figure; relativeInterval: IntervalFigure; reliability: Figure };
  probabilityToBeat: Figure;
}

interface VariationResult {
  variationId: number;
  name: string;
  reference: boolean;
  units: number;
  convertedUnits: number;
  conversions: number;
  conversionRate: number | null;
  revenue: number;
  revenuePerUnit: number | null;
  comparison: { conversionRate: Comparison; revenuePerUnit: Comparison } | null;
}

export interface ResultsAnswer {
  siteCode: string;
  experiment: { id: number; name: string; referenceVariationId: number | null };
  level: string;
  confidence: number;
  pendingRecomputations: number;
  health: { persons: number; srm: { pValue: Figure; mismatch: boolean; observed: number[]; expected: number[] } | null; warnings: string[] };
  goals: { goalId: number; name: string; variations: VariationResult[] }[];
}

const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
const signedPercent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const figure = (f: Figure | undefined, show: (x: number) => string) => (f && f.value !== null ? show(f.value) : '–');

function improvement(c: Comparison | undefined): string {
  if (!c) return '';
  const f = c.frequentist;
  if (f.relativeImprovement.value === null) return '–';
  const interval = f.relativeInterval.value;
  return `${signedPercent(f.relativeImprovement.value)}${interval ? ` [${signedPercent(interval.lower)}, ${signedPercent(interval.upper)}]` : ''}`;
}

/** The results answer as the tables a terminal shows: one per goal, then SRM and warnings in words. */
export function formatResults(answer: ResultsAnswer): string {
  const level = answer.level === 'visit' ? 'visits' : 'visitors';
  const out: string[] = [
    `Experiment ${answer.experiment.id} "${answer.experiment.name}" on ${answer.siteCode}: ${level}, ${percent(answer.confidence, 0)} confidence`,
  ];
  if (answer.goals.length === 0) out.push('', 'No goal has been seen on this site yet.');
  for (const goal of answer.goals) {
    const rows = goal.variations.map((v) => {
      const rate = v.comparison?.conversionRate;
      return [
        `${v.name}${v.reference ? ' (reference)' : ''}`,
        String(v.units),
        String(v.convertedUnits),
        v.conversionRate === null ? '–' : percent(v.conversionRate),
        v.reference ? 'reference' : improvement(rate),
        v.reference ? '' : figure(rate?.frequentist.reliability, (x) => percent(x, 1)),
        v.reference ? '' : figure(rate?.probabilityToBeat, (x) => percent(x, 1)),
        v.revenuePerUnit === null ? '–' : money(v.revenuePerUnit),
        v.reference ? '' : improvement(v.comparison?.revenuePerUnit),
      ];
    });
    out.push(
      '',
      `Goal ${goal.goalId} "${goal.name}"`,
      textTable(
        ['variation', level, 'converted', 'rate', `improvement [${percent(answer.confidence, 0)} CI]`, 'reliability', 'P(beat ref)', 'revenue/unit', 'revenue/unit improvement'],
        rows,
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  out.push('');
  const srm = answer.health.srm;
  if (srm) {
    out.push(
      srm.mismatch
        ? `Sample ratio mismatch: the traffic split differs from the expected one (p = ${figure(srm.pValue, (x) => x.toExponential(2))}); observed ${srm.observed.join(' / ')}, expected ${srm.expected.map((x) => Math.round(x)).join(' / ')}. Check the assignment before trusting these results.`
        : `Traffic split as expected (SRM p = ${figure(srm.pValue, (x) => x.toFixed(3))}).`,
    );
  }
  for (const warning of answer.health.warnings) if (!warning.startsWith('sample ratio mismatch')) out.push(`Warning: ${warning}.`);
  if (answer.pendingRecomputations > 0) {
    out.push(`${answer.pendingRecomputations} visitors are waiting to be recomputed: recent events may not be counted yet; run again in a moment.`);
  }
  return `${out.join('\n')}\n`;
}
