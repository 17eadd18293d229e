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

  async measure<T extends { requests: number; chargesExpected: number; chargesSeen: number }>(name: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await run();
    this.rows.push({ case: name, ...pick(result), seconds: (performance.now() - started) / 1000 });
    return result;
  }

  print(title: string): void {
    if (this.rows.length === 0) return;
    const lines = [
      `| ${title} | requests | charges expected | charges seen | time |`,
      "|---|---:|---:|---:|---:|",
      ...this.rows.map((r) => `| ${r.case} | ${r.requests} | ${r.chargesExpected} | ${r.chargesSeen} | ${r.seconds.toFixed(1)} s |`),
    ];
    console.log(`\n${lines.join("\n")}\n`);
  }
}

function pick(result: { requests: number; chargesExpected: number; chargesSeen: number }) {
  return { requests: result.requests, chargesExpected: result.chargesExpected, chargesSeen: result.chargesSeen };
}
