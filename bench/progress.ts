// The progress display: on a terminal, one status line rewritten in place
// (stderr, so stdout keeps only the report); elsewhere (CI, a pipe), just the
// log lines, so logs do not fill up with ticks.
export class Progress {
  private readonly startedAt = performance.now();
  private statusShown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** A transient status; replaced by the next one. */
  update(status: string): void {
    if (!this.stream.isTTY) return;
    const width = Math.max(20, (this.stream.columns ?? 100) - 1);
    this.stream.write(`\r\x1b[2K${`${this.prefix()}${status}`.slice(0, width)}`);
    this.statusShown = true;
  }

  /** A line that stays. */
  log(line: string): void {
    this.clear();
    this.stream.write(`${this.prefix()}${line}\n`);
  }

  clear(): void {
    if (this.statusShown) this.stream.write("\r\x1b[2K");
    this.statusShown = false;
  }

  private prefix(): string {
    const seconds = Math.round((performance.now() - this.startedAt) / 1000);
    return `[${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}] `;
  }
}
