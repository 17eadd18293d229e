// Restate's request identity: restate-server signs every request it sends to a
// service endpoint with an Ed25519 key, and the endpoint refuses requests not
// signed by it. Without it any process that can reach the endpoint can run
// handlers around Restate's journal and idempotency. Exported in small pieces so
// every stack (npm start, tests, bench, the cluster) applies the same settings.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export interface RequestIdentity {
  /** PKCS#8 PEM file with the Ed25519 private key restate-server signs with. */
  privateKeyPemFile: string;
  /** The public key as the SDK takes it: `publickeyv1_` + base58 of the raw 32-byte key. */
  publicKey: string;
}

/** The endpoint reads its accepted keys from this variable (code/endpoint.ts). */
const IDENTITY_KEYS_VARIABLE = "RESTATE_IDENTITY_KEYS";

/** The key pair kept in `dataDir`, made on first use: the data dir and its key live and die together. */
export function ensureRequestIdentity(dataDir: string): RequestIdentity {
  const privateKeyPemFile = path.join(dataDir, "request-identity-private-key.pem");
  if (!existsSync(privateKeyPemFile)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(privateKeyPemFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  }
  return { privateKeyPemFile, publicKey: publicKeyV1(readFileSync(privateKeyPemFile, "utf8")) };
}

/** restate-server's settings to sign with the key. */
export function requestIdentityServerEnv(identity: RequestIdentity): Record<string, string> {
  return { RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE: identity.privateKeyPemFile };
}

/** The endpoint's settings to accept only requests signed with the key. */
export function requestIdentityEndpointEnv(identity: RequestIdentity): Record<string, string> {
  return { [IDENTITY_KEYS_VARIABLE]: identity.publicKey };
}

/** Restate's public key format for the private key in `pem`. */
function publicKeyV1(pem: string): string {
  const jwk = createPublicKey(createPrivateKey(pem)).export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || !jwk.x) throw new Error("the request identity key is not an Ed25519 key");
  return `publickeyv1_${base58(Buffer.from(jwk.x, "base64url"))}`;
}

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Bitcoin-alphabet base58, as Restate's key format uses (no library for it in the dependencies). */
function base58(bytes: Uint8Array): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let digits = "";
  while (value > 0n) {
    digits = BASE58_ALPHABET[Number(value % 58n)] + digits;
    value /= 58n;
  }
  const leadingZeros = bytes.findIndex((byte) => byte !== 0);
  return "1".repeat(leadingZeros === -1 ? bytes.length : leadingZeros) + digits;
}
