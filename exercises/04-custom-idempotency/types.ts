// What the store keeps for a key: the answer to replay.
export interface StoredResponse {
  status: number;
  body: unknown;
}
