import { ingestRawEvents, type IngestDeps } from '../ingest/ingest-events.ts';
import type { RawEvent } from '../ingest/parse-body.ts';
import type { BatchOutcome, ImportSink } from './run-import.ts';

export interface InProcessSinkOptions {
  siteCode: string;
  batchRows: number;
  /** Batches in flight: two let one be validated while the other commits. */
  concurrency: number;
  now?: () => number;
}

/**
 * Events straight into this process's write path (parse → validate → de-duplicate → group commit
 * → storage), the same one POST /visit/events uses: the server's import endpoint and the CLI's
 * `--data-dir` mode.
 */
export function inProcessSink(deps: IngestDeps, options: InProcessSinkOptions): ImportSink {
  const now = options.now ?? Date.now;
  return {
    batchRows: options.batchRows,
    concurrency: options.concurrency,
    async send(batch) {
      const raws: RawEvent[] = batch.events.map((fields, index) => ({ position: { index }, fields }));
      const report = await ingestRawEvents(
        deps,
        { siteCode: options.siteCode, format: 'lines', queryIdentity: null, itp: false, sdk: null, dryRun: batch.dryRun, receivedAt: now(), verdicts: batch.dryRun, allOrNothing: false, refuseNoneValid: false },
        raws,
      );
      const outcome: BatchOutcome = { accepted: report.accepted, duplicate: report.duplicate, rejections: new Map() };
      if (batch.dryRun) outcome.statuses = report.events.map((verdict) => verdict.status);
      for (const verdict of report.events) {
        if (verdict.status === 'rejected' && verdict.index !== undefined) outcome.rejections.set(verdict.index, { code: verdict.code!, message: verdict.message ?? '' });
      }
      return outcome;
    },
  };
}
