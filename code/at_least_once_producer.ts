// An at-least-once producer, as a message broker or an outbox relay is: every
// message is delivered until its consumer acknowledges it (returns), some are
// delivered twice anyway (an acknowledgement lost on the way back), and the
// order is shuffled. Each message carries an id; a consumer has to make "at
// least once" into "counted once". Seeded, so a failing run can be replayed.

export interface Message<Body> {
  /** The producer's id of this message: the same on every redelivery, a new one on a republish. */
  messageId: string;
  body: Body;
}

export interface ProducerOptions {
  /** Same seed, same order and same duplicates. */
  seed: number;
  /** Every n-th message is delivered a second time even though it was acknowledged (default 3). */
  duplicateEvery?: number;
  /** A message not acknowledged after this many deliveries is given up, and reported (default 20). */
  maxDeliveries?: number;
}

export interface DeliveryReport {
  messages: number;
  /** Every delivery, first ones and redeliveries. */
  deliveries: number;
  /** Deliveries the consumer did not acknowledge (it threw): each one is delivered again. */
  unacknowledged: number;
  /** Message ids given up after maxDeliveries. */
  givenUp: string[];
}

export async function deliverAtLeastOnce<Body>(
  messages: Message<Body>[],
  consume: (message: Message<Body>) => Promise<void>,
  options: ProducerOptions,
): Promise<DeliveryReport> {
  const random = seededRandom(options.seed);
  const duplicateEvery = options.duplicateEvery ?? 3;
  const maxDeliveries = options.maxDeliveries ?? 20;
  const queue = [...messages, ...messages.filter((_, index) => index % duplicateEvery === duplicateEvery - 1)];
  shuffle(queue, random);
  const deliveredTimes = new Map<string, number>();
  const report: DeliveryReport = { messages: messages.length, deliveries: 0, unacknowledged: 0, givenUp: [] };
  while (queue.length > 0) {
    const message = queue.shift()!;
    const times = (deliveredTimes.get(message.messageId) ?? 0) + 1;
    deliveredTimes.set(message.messageId, times);
    report.deliveries++;
    try {
      await consume(message);
    } catch {
      report.unacknowledged++;
      if (times >= maxDeliveries) report.givenUp.push(message.messageId);
      // Redelivered later, after some others: a broker does not keep order across redeliveries either.
      else queue.splice(Math.floor(random() * (queue.length + 1)), 0, message);
    }
  }
  return report;
}

/** The same business event published again under a new message id (a producer's retry after a lost confirm). */
export function republish<Body>(message: Message<Body>, newMessageId: string): Message<Body> {
  return { messageId: newMessageId, body: message.body };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** mulberry32: small, and enough to shuffle reproducibly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
