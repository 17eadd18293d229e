// The calls restate-server delivers to the learner's endpoint, as its door sees
// them: a counting door (like request_ledger.ts's for the providers) that
// restate-server is registered with instead of the endpoint. It shows what no
// answer and no state shows: a call from one of the learner's objects to another
// (exercise 6's ShootingRange reporting a shot to the LeaderBoard) and the input
// it carried, every time it was made, even when the receiver ignored it.
//
// restate-server speaks HTTP/2 without TLS to an endpoint; each request carries
// the invocation's protocol messages (8-byte header: type u16, flags u16, length
// u32, then the protobuf message), and its input is the InputCommand message's
// value, the bytes the caller serialized: JSON for the exercises.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

/** One delivery of an invocation (its first attempt, or a replay) to the endpoint. */
export interface DeliveredCall {
  /** "LeaderBoard/record". */
  target: string;
  /** The invocation's input, parsed when it is JSON (undefined otherwise). */
  input: unknown;
}

export interface EndpointDoor {
  /** Where restate-server is told the endpoint is. */
  readonly url: string;
  /** How many deliveries were seen so far, for `since`. */
  mark(): number;
  /** The deliveries to `service/handler` since `mark()` returned `from` (an invocation replays: several deliveries per invocation). */
  since(from: number, target: string): DeliveredCall[];
  close(): Promise<void>;
}

/** Message types and field numbers of Restate's service protocol (its InputCommandMessage and Value). */
const INPUT_COMMAND = 0x0400;
const INPUT_VALUE_FIELD = 14;
const VALUE_CONTENT_FIELD = 1;

/** A door on a free port of 127.0.0.1 that records every invocation delivered to `target` (an http2 endpoint) before forwarding it. */
export async function startEndpointDoor(target: string): Promise<EndpointDoor> {
  const seen: DeliveredCall[] = [];
  let upstream: http2.ClientHttp2Session | undefined;
  // The endpoint is restarted by some checks: a session to a dead process is dropped and a new one opened.
  const session = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = http2.connect(target);
      upstream.on("error", () => upstream?.destroy());
    }
    return upstream;
  };

  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const requestPath = String(headers[":path"] ?? "");
    const invoked = requestPath.match(/\/invoke\/([^/]+)\/([^/?]+)/);
    const chunks: Buffer[] = [];
    let outgoing: http2.ClientHttp2Stream;
    try {
      const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== ":authority" && name !== ":scheme"));
      outgoing = session().request(forwarded);
    } catch {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.on("data", (chunk: Buffer) => {
      if (invoked) chunks.push(chunk);
      outgoing.write(chunk);
    });
    stream.on("end", () => {
      outgoing.end();
      if (invoked) seen.push({ target: `${invoked[1]}/${invoked[2]}`, input: inputOf(Buffer.concat(chunks)) });
    });
    stream.on("error", () => outgoing.close(http2.constants.NGHTTP2_CANCEL));
    outgoing.on("response", (answer) => {
      if (stream.destroyed) return;
      stream.respond(Object.fromEntries(Object.entries(answer).filter(([name]) => !name.startsWith(":") || name === ":status")));
      outgoing.pipe(stream);
    });
    // The endpoint died mid-request (a check killed it): restate-server sees the same broken stream it would without the door.
    outgoing.on("error", () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mark: () => seen.length,
    since: (from, wanted) => seen.slice(from).filter((call) => call.target === wanted),
    close: () =>
      new Promise<void>((resolve) => {
        upstream?.destroy();
        server.close(() => resolve());
        // Streams restate-server keeps open would hold close() back.
        setTimeout(resolve, 1_000).unref();
      }),
  };
}

/** The input of the InputCommand among a request's protocol messages, parsed as JSON when it is. */
function inputOf(body: Buffer): unknown {
  for (let offset = 0; offset + 8 <= body.length; ) {
    const type = body.readUInt16BE(offset);
    const length = body.readUInt32BE(offset + 4);
    const message = body.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length;
    if (type !== INPUT_COMMAND) continue;
    // InputCommandMessage { Value value = 14 }, Value { bytes content = 1 }: the bytes the caller serialized.
    const content = bytesField(bytesField(message, INPUT_VALUE_FIELD), VALUE_CONTENT_FIELD);
    if (content === undefined) return undefined;
    try {
      return JSON.parse(content.toString("utf8"));
    } catch {
      return undefined; // not JSON
    }
  }
  return undefined;
}

/** The first length-delimited field `wanted` of a protobuf message (the other fields skipped by their wire type). */
function bytesField(message: Buffer | undefined, wanted: number): Buffer | undefined {
  if (message === undefined) return undefined;
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; offset < message.length; shift += 7) {
      const byte = message[offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    return value;
  };
  while (offset < message.length) {
    const key = varint();
    const wireType = key % 8;
    if (wireType === 2) {
      const length = varint();
      const bytes = message.subarray(offset, offset + length);
      offset += length;
      if (Math.floor(key / 8) === wanted) return bytes;
    } else if (wireType === 0) varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else return undefined; // a group: not in Restate's protocol
  }
  return undefined;
}
