/**
 * The statistics of experiment results: pure functions of sufficient statistics, pinned to SciPy
 * reference values (docs/statistics.md gives every formula).
 */
export { NULL_REASONS, known, missing, type Figure, type Interval, type NullReason } from './figure.ts';
export { DEFAULT_CONFIDENCE, type ConfidenceOptions, type CupedSample, type MeanSample, type ProportionSample } from './inputs.ts';
export { compareProportions, proportionInterval, type ProportionComparison } from './proportions.ts';
export { compareMeans, welchSatterthwaite, type MeanComparison } from './welch.ts';
export { probabilityBetaGreater, probabilityToBeatMean, probabilityToBeatRate } from './bayes.ts';
export {
  DEFAULT_SEQUENTIAL_TUNING,
  alwaysValidPValue,
  compareMeansSequential,
  compareProportionsSequential,
  confidenceSequence,
  sequentialHalfWidth,
  sequentialRho,
  type ConfidenceSequence,
  type SequentialComparison,
  type SequentialOptions,
} from './sequential.ts';
export { compareCuped, cupedAdjust, cupedTheta, type CupedAdjusted, type CupedComparison, type CupedTheta } from './cuped.ts';
export { SRM_THRESHOLD, chiSquareSurvival, sampleRatioMismatch, type SrmOptions, type SrmResult } from './srm.ts';
export { normalCdf, normalQuantile, normalSurvival, normalTwoSidedPValue } from './normal.ts';
export { studentTCdf, studentTQuantile, studentTSurvival, studentTTwoSidedPValue } from './student-t.ts';
export { logBeta, regularizedBeta } from './beta.ts';
export { logGamma, regularizedGammaP, regularizedGammaQ } from './gamma.ts';
