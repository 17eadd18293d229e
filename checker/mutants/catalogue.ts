// What a mutant is: a small patch on a reference solution (solutions/) that
// makes a mistake a learner could plausibly make, the failure a real system
// would then hit, and the hint the checker must give for it. An alternative is
// a patch that keeps the solution correct in another way: the checker must
// pass it.
export type Patch =
  /** Replace `find`, which must occur exactly once in the file (so a solution that drifts fails loudly). */
  | { file: string; find: string; replace: string; all?: false }
  /** Replace every copy of `find` (there must be at least one). */
  | { file: string; find: string; replace: string; all: true }
  /** A new file beside the solution's, or in a folder of its own (an imported helper). */
  | { file: string; create: string };

export interface Mutant {
  id: string;
  /** The failure a real system would hit, in one line. */
  scenario: string;
  patches: Patch[];
  /** The hint some check must fail with. */
  hint: RegExp;
  /** In the quick subset `npm run check:mutants -- --fast` runs. */
  fast?: boolean;
}

export interface Alternative {
  id: string;
  /** What it does differently, in one line. */
  description: string;
  patches: Patch[];
  fast?: boolean;
}

export interface ExerciseCatalogue {
  /** The exercise's folder under solutions/. */
  folder: string;
  mutants: Mutant[];
  alternatives: Alternative[];
}

/** The kinds of mistake the outsider catalogue (checker/outsiders/) is written from: issue 27's classes. */
export type OutsiderClass =
  | "key stable only within one process"
  | "key stable only today"
  | "race in shared handlers"
  | "lost answer after the happy path"
  | "colliding ids"
  | "rule left to the provider"
  | "error swallowed"
  | "concurrency judged by the ledger";

/**
 * A wrong solution written from the exercise's README and a class of mistake,
 * without reading the checks: it has no expected hint, it is caught when any
 * check fails.
 */
export interface OutsiderCase {
  id: string;
  class: OutsiderClass;
  /** What a real system would lose or double, in one line. */
  scenario: string;
  patches: Patch[];
  fast?: boolean;
  /**
   * Set while the checker cannot catch this case yet, and why: check:mutants reports it as a known escape and does not
   * fail on it (a known escape that gets caught is reported as caught). Each one is a check still to be written.
   */
  escapes?: string;
}

export interface OutsiderCatalogue {
  /** The exercise's folder under solutions/. */
  folder: string;
  cases: OutsiderCase[];
}

/** Patches that add `import { name } from "module"` at the top of a file, after its first import line. */
export function addImport(file: string, firstImport: string, line: string): Patch {
  return { file, find: firstImport, replace: `${line}\n${firstImport}` };
}
