/** Latency samples in milliseconds, summarised by nearest-rank percentiles. */
export class LatencyLog {
  private samples = new Float64Array(1024);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.size).sort();
    const at = (q: number) => (this.size === 0 ? NaN : sorted[Math.min(this.size - 1, Math.ceil(q * this.size) - 1)]!);
    return { p50: at(0.5), p99: at(0.99), max: at(1) };
  }
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}
