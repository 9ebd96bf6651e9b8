import cliProgress from 'cli-progress';
import type { ImportProgress } from '../import/run-import.ts';

export interface ProgressView {
  update(progress: ImportProgress): void;
  stop(): void;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * A progress bar on stderr when it is a terminal (rows/s, bytes, ETA), plain lines every few
 * seconds otherwise (logs of a scheduled job), nothing with `quiet`.
 */
export function progressView(options: { label: string; totalBytes: number | null; stream: NodeJS.WriteStream; quiet: boolean; intervalMs?: number; now?: () => number }): ProgressView {
  const now = options.now ?? Date.now;
  const started = now();
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (now() - started) / 1000));
  if (options.quiet) return { update() {}, stop() {} };

  if (options.stream.isTTY) {
    const total = options.totalBytes ?? 0;
    const bar = new cliProgress.SingleBar(
      {
        stream: options.stream,
        format: `${options.label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | {done} of {size} | ETA {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { rows: 0, rate: 0, done: megabytes(0), size: total > 0 ? megabytes(total) : '?' });
    let last: ImportProgress | null = null;
    return {
      update(progress) {
        last = progress;
        bar.update(Math.min(progress.bytes, Math.max(total, 1)), { rows: progress.rows, rate: rate(progress.rows), done: megabytes(progress.bytes) });
      },
      stop() {
        if (last) bar.update(Math.max(total, 1), { rows: last.rows, rate: rate(last.rows), done: megabytes(last.bytes) });
        bar.stop();
      },
    };
  }

  const interval = options.intervalMs ?? 5000;
  let lastLine = started;
  let latest: ImportProgress | null = null;
  const line = (progress: ImportProgress) => {
    const share = options.totalBytes ? ` (${Math.min(100, Math.round((100 * progress.bytes) / options.totalBytes))}% of ${megabytes(options.totalBytes)})` : '';
    options.stream.write(
      `${options.label}: ${progress.rows} rows${share}, ${rate(progress.rows)} rows/s, ${progress.accepted} accepted, ${progress.duplicate} duplicate, ${progress.rejected} rejected\n`,
    );
  };
  return {
    update(progress) {
      latest = progress;
      if (now() - lastLine >= interval) {
        lastLine = now();
        line(progress);
      }
    },
    stop() {
      if (latest && lastLine !== now()) line(latest);
    },
  };
}
