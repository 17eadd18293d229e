// Exercise 6: ShootingRange and LeaderBoard under duplicated and reordered
// FireAt/MoveTarget messages: one outcome per shot, deterministic, counted once.
import type { FireAt, MoveTarget, Outcome, RecordOutcome, Scores, ShotResult, Target } from "../../exercises/support/range_contract.js";
import { type CheckContext, expect, fail } from "../lib/check.js";
import type { EndpointDoor } from "../lib/endpoint_door.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import type { Answer } from "../lib/restate.js";

type Reply<T> = T & { message?: string };

async function call<T>(ctx: CheckContext, service: "ShootingRange" | "LeaderBoard", rangeId: string, handler: string, body?: unknown): Promise<T> {
  const answer: Answer<Reply<T>> = await ctx.restate.invoke({ service, key: rangeId, handler }, body ?? null);
  if (answer.status !== 200) {
    fail(`${service}/${handler} answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 140)}) to ${JSON.stringify(body)}, expected 200`);
  }
  return answer.body;
}

const move = (ctx: CheckContext, rangeId: string, message: MoveTarget) => call<Target>(ctx, "ShootingRange", rangeId, "moveTarget", message);
const fire = (ctx: CheckContext, rangeId: string, shot: FireAt) => call<ShotResult>(ctx, "ShootingRange", rangeId, "fireAt", shot);
const scores = (ctx: CheckContext, rangeId: string) => call<Scores>(ctx, "LeaderBoard", rangeId, "get");

/** Each shot on the board at most once, with the outcome expected (when there is one to expect). */
function expectCountedOnce(board: Scores, shots: { shotId: string; expected?: Outcome }[]): void {
  for (const shot of shots) {
    const entries = board.log.filter((entry) => entry.shotId === shot.shotId);
    if (entries.length > 1) {
      const outcomes = [...new Set(entries.map((entry) => entry.outcome))];
      fail(
        outcomes.length > 1
          ? `shot ${shot.shotId} is on the LeaderBoard as both ${outcomes.join(" and ")}: store each shot's first outcome and answer every copy from it, without judging it again`
          : `shot ${shot.shotId} is on the LeaderBoard ${entries.length} times: count each shotId once`,
        { detail: board },
      );
    }
    if (entries.length === 0) fail(`shot ${shot.shotId} is not on the LeaderBoard: fireAt must record the outcome before it answers`, { detail: board });
    if (shot.expected && entries[0]!.outcome !== shot.expected) {
      fail(`shot ${shot.shotId} is on the LeaderBoard as ${entries[0]!.outcome}, expected ${shot.expected}`, { detail: board });
    }
  }
}

/** Each shot's outcomes as reported to a LeaderBoard (LeaderBoard/record's inputs) since `from`, however many the board ignored. */
function reportedOutcomes(door: EndpointDoor, from: number): Map<string, Set<string>> {
  const reported = new Map<string, Set<string>>();
  for (const { input } of door.since(from, "LeaderBoard/record")) {
    const outcome = input as Partial<RecordOutcome> | undefined;
    if (typeof outcome?.shotId !== "string" || typeof outcome.outcome !== "string") continue;
    reported.set(outcome.shotId, (reported.get(outcome.shotId) ?? new Set()).add(outcome.outcome));
  }
  return reported;
}

function doorOf(ctx: CheckContext): EndpointDoor {
  if (!ctx.delivered) throw new Error("exercise 6's checks read LeaderBoard/record's inputs at the endpoint's door: set endpointDoor");
  return ctx.delivered;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export const exercise: ExerciseDefinition = {
  number: 6,
  folder: "06-exactly-once-beyond-idempotency",
  title: "Exactly-once beyond idempotency (advanced)",
  services: ["ShootingRange", "LeaderBoard"],
  endpointDoor: true,
  checks: [
    {
      id: "hit-recorded",
      name: "a shot on the target is a Hit, and the LeaderBoard counts it",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 1, x: 5 });
        const result = await fire(ctx, rangeId, { shotId: "s1", player: "ann", x: 5, targetVersion: 1 });
        expect(result.outcome === "Hit", `a shot at x=5 on a target at x=5 was ${result.outcome}, expected Hit`);
        const board = await scores(ctx, rangeId);
        expectCountedOnce(board, [{ shotId: "s1", expected: "Hit" }]);
        expect(board.players.ann?.hits === 1, `the LeaderBoard gives ann ${board.players.ann?.hits ?? 0} hits, expected 1`);
      },
    },
    {
      id: "duplicate-after-move",
      name: "a copy of a FireAt processed after the target moved gets the first outcome: never both Hit and Missed",
      section: "reordering-the-shootingrange",
      async run(ctx) {
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 1, x: 5 });
        const shot: FireAt = { shotId: "s1", player: "ann", x: 5, targetVersion: 1 };
        const first = await fire(ctx, rangeId, shot);
        await move(ctx, rangeId, { version: 2, x: 9 });
        const copy = await fire(ctx, rangeId, shot);
        expect(
          copy.outcome === first.outcome,
          `the same shot got ${first.outcome}, then ${copy.outcome} once the target had moved: the first outcome of a shotId is the outcome; store it and return it to every copy`,
        );
        const board = await scores(ctx, rangeId);
        expectCountedOnce(board, [{ shotId: "s1", expected: first.outcome }]);
        expect((board.players.ann?.hits ?? 0) + (board.players.ann?.misses ?? 0) === 1, "ann has more than one shot counted for one shot");
      },
    },
    {
      id: "reordered-fire",
      name: "a FireAt that arrives after a later MoveTarget is judged against the target the player aimed at",
      section: "reordering-the-shootingrange",
      async run(ctx) {
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 1, x: 5 });
        await move(ctx, rangeId, { version: 2, x: 9 }); // overtook the shot below
        const result = await fire(ctx, rangeId, { shotId: "s2", player: "ann", x: 5, targetVersion: 1 });
        expect(
          result.outcome === "Hit",
          `a shot aimed at version 1 (x=5) at x=5 was ${result.outcome} because it was judged against version 2: keep each version's position and judge the shot against shot.targetVersion`,
        );
        expectCountedOnce(await scores(ctx, rangeId), [{ shotId: "s2", expected: "Hit" }]);
      },
    },
    {
      id: "shot-before-its-move",
      name: "a FireAt that overtakes the MoveTarget it aimed at is not judged against an older target: once the move arrives, the shot is a Hit",
      section: "reordering-the-shootingrange",
      async run(ctx) {
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 1, x: 3 });
        const shot: FireAt = { shotId: "early", player: "ann", x: 12, targetVersion: 2 };
        // Whatever the early copy gets (a refusal, a wait), it must not fix an outcome judged against version 1.
        const early = await ctx.restate.invoke<{ outcome?: string }>({ service: "ShootingRange", key: rangeId, handler: "fireAt" }, shot, { timeoutMs: 20_000 });
        ctx.note(`the shot before its move: ${early.status} ${early.text.slice(0, 200)}`);
        await move(ctx, rangeId, { version: 2, x: 12 });
        const later = await fire(ctx, rangeId, shot);
        expect(
          later.outcome === "Hit" && (early.status !== 200 || early.body?.outcome === "Hit"),
          `a shot at x=12 aimed at version 2 (x=12) arrived before move 2 and was told ${early.status === 200 ? early.body?.outcome : `${early.status}`}, then ${later.outcome} once move 2 had arrived: ` +
            "it was judged against a target its player never saw; a version the range has not seen yet is no outcome (refuse it, 409, so it is sent again), never the latest target's",
          { detail: { early: early.text } },
        );
        expectCountedOnce(await scores(ctx, rangeId), [{ shotId: "early", expected: "Hit" }]);
      },
    },
    {
      id: "late-move",
      name: "an old MoveTarget that arrives late does not move the target back",
      section: "reordering-the-shootingrange",
      async run(ctx) {
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 2, x: 9 });
        await move(ctx, rangeId, { version: 1, x: 5 }); // late
        const target = await call<Target>(ctx, "ShootingRange", rangeId, "target");
        expect(
          target.version === 2 && target.x === 9,
          `after moves to version 2 (x=9) and then, late, version 1 (x=5), the target is at version ${target.version}, x=${target.x}: a message older than the state must not overwrite it; compare versions`,
        );
        const result = await fire(ctx, rangeId, { shotId: "s3", player: "bob", x: 9, targetVersion: 2 });
        expect(result.outcome === "Hit", `a shot at version 2's position (x=9) was ${result.outcome}, expected Hit`);
      },
    },
    {
      id: "leaderboard-dedup",
      name: "the LeaderBoard counts a shot once, even when its outcome is delivered twice, or five times at once",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        const rangeId = ctx.id("range");
        const outcome: RecordOutcome = { shotId: "s1", player: "ann", outcome: "Hit" };
        await call<Scores>(ctx, "LeaderBoard", rangeId, "record", outcome);
        const board = await call<Scores>(ctx, "LeaderBoard", rangeId, "record", outcome);
        expect(
          board.players.ann?.hits === 1 && board.log.length === 1,
          `one shot delivered twice gave ann ${board.players.ann?.hits} hits: the LeaderBoard counts deliveries; give the shot an identity (shotId) and count each once`,
          { detail: board },
        );
        // Copies at the same instant: a "counted already?" read in a shared handler lets them all through before any is counted.
        const copy: RecordOutcome = { shotId: "s2", player: "ann", outcome: "Missed" };
        await Promise.all(Array.from({ length: 5 }, () => call<Scores>(ctx, "LeaderBoard", rangeId, "record", copy)));
        const after = await scores(ctx, rangeId);
        expect(
          after.players.ann?.misses === 1 && after.log.filter((entry) => entry.shotId === copy.shotId).length === 1,
          `one shot delivered five times at once gave ann ${after.players.ann?.misses ?? 0} misses: the copies passed the "counted already?" check together; ` +
            "keep the check and the count in one exclusive handler, and count each once",
          { detail: after, section: "concurrent-duplicates" },
        );
      },
    },
    {
      id: "leaderboard-colliding-ids",
      name: "the range and the LeaderBoard keep shots apart whose ids collide on a separator (player 'a-b' shot 'c', player 'a' shot 'b-c')",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        // At the range: the second shot is another shot, judged and counted on its own, not a copy of the first.
        const range = ctx.id("range");
        await move(ctx, range, { version: 1, x: 5 });
        const first = await fire(ctx, range, { shotId: "c", player: "a-b", x: 5, targetVersion: 1 });
        const second = await fire(ctx, range, { shotId: "b-c", player: "a", x: 20, targetVersion: 1 });
        expect(
          first.outcome === "Hit" && second.outcome === "Missed",
          `player 'a-b' hit the target with shot 'c' (told ${first.outcome}), then player 'a' fired shot 'b-c' far off and was told ${second.outcome}: ` +
            "it was answered as a copy of the first; the shot's identity is its shotId (or the pair kept apart, never joined with a character an id may hold)",
          { detail: { first, second } },
        );
        const ranged = await scores(ctx, range);
        expect(ranged.log.length === 2, `two different shots fired at the range left ${ranged.log.length} entries on its LeaderBoard, expected 2`, { detail: ranged });

        // At the LeaderBoard: the same ids, recorded straight.
        const rangeId = ctx.id("range");
        const outcomes: RecordOutcome[] = [
          { shotId: "c", player: "a-b", outcome: "Hit" },
          { shotId: "b-c", player: "a", outcome: "Hit" },
          { shotId: "y", player: "x_z", outcome: "Missed" },
          { shotId: "z_y", player: "x", outcome: "Missed" },
        ];
        for (const outcome of outcomes) await call<Scores>(ctx, "LeaderBoard", rangeId, "record", outcome);
        const board = await scores(ctx, rangeId);
        expect(
          board.log.length === outcomes.length,
          `four different shots, whose player and shot ids joined with '-' or '_' are equal, left ${board.log.length} entries on the board: ` +
            "each was taken for a duplicate of another; the shot's identity is its shotId (or the pair kept apart, never joined with a character an id may hold)",
          { detail: board },
        );
      },
    },
    {
      id: "message-storm",
      name: "moves and shots duplicated, shuffled and sent at once: one outcome per shot, the expected one, and scores that add up",
      section: "reordering-the-shootingrange",
      async run(ctx) {
        const rangeId = ctx.id("range");
        const moves: MoveTarget[] = [{ version: 1, x: 3 }, { version: 2, x: 6 }, { version: 3, x: 12 }];
        await Promise.all(shuffled([...moves, ...moves]).map((message) => move(ctx, rangeId, message)));
        const target = await call<Target>(ctx, "ShootingRange", rangeId, "target");
        expect(target.version === 3 && target.x === 12, `after moves to versions 1-3 (duplicated, in any order) the target is at version ${target.version}, x=${target.x}; expected the newest, version 3 at x=12`);

        const shots: (FireAt & { expected?: Outcome })[] = [
          { shotId: "a", player: "ann", x: 3, targetVersion: 1, expected: "Hit" },
          { shotId: "b", player: "ann", x: 6, targetVersion: 1, expected: "Missed" },
          { shotId: "c", player: "bob", x: 6, targetVersion: 2, expected: "Hit" },
          { shotId: "d", player: "bob", x: 3, targetVersion: 3, expected: "Missed" },
          { shotId: "e", player: "ann", x: 12, targetVersion: 3, expected: "Hit" },
          { shotId: "f", player: "bob", x: 7, targetVersion: 2 }, // grazes: the coin decides, once
          { shotId: "g", player: "ann", x: 11, targetVersion: 3 },
        ];
        // A copy judged again flips a new coin: only a graze shows it, and three copies of one agree by chance one
        // time in four. Eight copies of two grazes agree by chance once in 16,384.
        const copiesOf = (shot: (typeof shots)[number]) => Array.from({ length: shot.expected ? 3 : 8 }, () => shot);
        const copies = shuffled(shots.flatMap(copiesOf));
        const door = doorOf(ctx);
        const fromDelivery = door.mark();
        const answers = await Promise.all(copies.map(({ expected: _, ...shot }) => fire(ctx, rangeId, shot)));
        for (const shot of shots) {
          const outcomes = new Set(answers.filter((answer) => answer.shotId === shot.shotId).map((answer) => answer.outcome));
          if (outcomes.size > 1) fail(`the copies of shot ${shot.shotId} were told ${[...outcomes].join(" and ")}: every copy must get the shot's first outcome`);
          const [outcome] = outcomes;
          if (shot.expected && outcome !== shot.expected) {
            fail(`shot ${shot.shotId} (x=${shot.x}, aimed at version ${shot.targetVersion}) was ${outcome}, expected ${shot.expected}: judge it against the version it aimed at`);
          }
        }
        const board = await scores(ctx, rangeId);
        expectCountedOnce(board, shots);
        // The board must hold the outcome the player was told: one judgement per shot, whichever copy made it.
        for (const shot of shots) {
          const told = answers.find((answer) => answer.shotId === shot.shotId)?.outcome;
          const counted = board.log.find((entry) => entry.shotId === shot.shotId)?.outcome;
          expect(
            counted === told,
            `shot ${shot.shotId}'s copies were told ${told}, but the LeaderBoard counts it as ${counted}: two copies were judged (each with its own coin) and one of them was counted, another answered; ` +
              "judge, record and remember the shot in one exclusive handler, so a copy finds the first outcome",
            { detail: board },
          );
        }
        for (const player of ["ann", "bob"]) {
          const theirs = shots.filter((shot) => shot.player === player).length;
          const counted = (board.players[player]?.hits ?? 0) + (board.players[player]?.misses ?? 0);
          expect(counted === theirs, `${player} fired ${theirs} shots but the LeaderBoard counts ${counted}`, { detail: board });
        }
        // What the board ignored shows too: every outcome the range reported for a shot, counted at the endpoint's door.
        // Copies judged again each flip their own coin, and the board keeps the first report: the answers can still agree.
        const reported = reportedOutcomes(door, fromDelivery);
        for (const shot of shots) {
          const outcomes = reported.get(shot.shotId) ?? new Set();
          expect(
            outcomes.size <= 1,
            `shot ${shot.shotId} was reported to the LeaderBoard as both ${[...outcomes].join(" and ")}: its copies were judged again (each with its own coin) while the first was still being judged; ` +
              "judge, record and remember the shot in one exclusive handler, so a copy finds the first outcome and is never judged again",
          );
        }
      },
    },
    {
      id: "deterministic-code",
      name: "sixteen grazes, each replayed by Restate after every step: every replay flips the same coin, and the answer is the outcome recorded",
      section: "non-determinism-random-numbers-uuids-clocks",
      async run(ctx) {
        // The checker's endpoint replays every handler after each step (see checker/lib/replay.ts): a coin that is
        // not ctx.rand lands differently in a replay with probability 1/2 per shot, and the SDK reports the mismatch.
        const rangeId = ctx.id("range");
        await move(ctx, rangeId, { version: 1, x: 0 });
        const shots: FireAt[] = Array.from({ length: 16 }, (_, index) => ({ shotId: `graze-${index}`, player: "cy", x: index % 2 === 0 ? 1 : -1, targetVersion: 1 }));
        const answers = await Promise.all(shots.map((shot) => fire(ctx, rangeId, shot)));
        const board = await scores(ctx, rangeId);
        for (const answer of answers) {
          const recorded = board.log.find((entry) => entry.shotId === answer.shotId)?.outcome;
          expect(
            recorded === answer.outcome,
            `graze ${answer.shotId} was answered ${answer.outcome} but is on the LeaderBoard as ${recorded ?? "nothing"}: the coin was flipped again between recording and answering; flip it once, with ctx.rand.random()`,
            { detail: board },
          );
        }
      },
    },
  ],
};
