// One row per reliability case, printed as a table when a file finishes: the
// numbers a payments engineer asks for (requests, charges expected and seen, time).
export interface CaseRow {
  case: string;
  requests: number;
  chargesExpected: number;
  chargesSeen: number;
  seconds: number;
}

export class CaseReport {
  private readonly rows: CaseRow[] = [];
  /** What a case that fails on purpose (a contrast) found, printed under the table as its result. */
  private readonly findings: string[] = [];

  /** Records what a case that is meant to fail found, e.g. a payment charged that the service never heard of. */
  found(finding: string): void {
    this.findings.push(finding);
  }

  async measure<T extends { requests: number; chargesExpected: number; chargesSeen: number }>(name: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await run();
    this.rows.push({ case: name, ...pick(result), seconds: (performance.now() - started) / 1000 });
    return result;
  }

  print(title: string): void {
    const table = this.render(title);
    if (table !== "") console.log(`\n${table}\n`);
  }

  /** The table, and under it what the contrast cases found; empty when nothing was measured. */
  render(title: string): string {
    if (this.rows.length === 0) return "";
    return [
      `| ${title} | requests | charges expected | charges seen | time |`,
      "|---|---:|---:|---:|---:|",
      ...this.rows.map((r) => `| ${r.case} | ${r.requests} | ${r.chargesExpected} | ${r.chargesSeen} | ${r.seconds.toFixed(1)} s |`),
      ...this.findings,
    ].join("\n");
  }
}

function pick(result: { requests: number; chargesExpected: number; chargesSeen: number }) {
  return { requests: result.requests, chargesExpected: result.chargesExpected, chargesSeen: result.chargesSeen };
}
