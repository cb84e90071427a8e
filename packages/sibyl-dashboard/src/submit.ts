// The holder's "Submit a job" form: a model (by default the deployment's) and an inline input in
// hex, priced with the escrow's `price` query and submitted paying exactly that; then waited for
// until it settles.
import {
  type CompletedJob,
  type Sibyl,
  type SigningSibyl,
  type SubmittedJob,
  priceJob,
  submitJob,
  waitForResult,
} from "sibyl-js";

import { tokens } from "./format.js";

/**
 * A sample input for the digits model: the first image of `models/digits/test_inputs.bin` (8×8
 * pixels, one byte each, 0–16; its label in `test_labels.bin` is 2), as hex.
 */
export const SAMPLE_DIGIT =
  "000007100e0300000000090e0b0f000000000105000f050000000000001005000000000003100400000000010c0e" +
  "01000000050c10100e01000008100e0a0d03";

/** How long the page waits for a submitted job to settle. */
const WAIT = { timeoutMs: 120_000, pollMs: 1_000 };

/**
 * The model the form starts with: `configured` (config.json's or the address's `modelHash`) when
 * given, else the escrow's first model that is not deprecated; none when it has none.
 */
export async function defaultModel(sibyl: Sibyl, configured?: string): Promise<string> {
  if (configured) {
    return configured;
  }
  const { models } = await sibyl.escrow.models({ limit: 30 });
  return models.find((model) => !model.deprecated)?.model_hash ?? "";
}

/** The bytes of `text` in hex (spaces, line breaks and a leading `0x` allowed). */
export function parseHex(text: string): Uint8Array {
  const hex = text.replace(/\s+/g, "").replace(/^0x/i, "");
  if (hex.length === 0) {
    throw new Error("give the job's input in hex (or use a sample digit)");
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error("the input is not hex: use only 0-9 and a-f");
  }
  if (hex.length % 2 !== 0) {
    throw new Error(`the input has an odd number of hex digits (${hex.length}): two make a byte`);
  }
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

/**
 * Prices and submits a job of `modelHash` on `input`, paying exactly the quoted price; calls
 * `onSubmitted` with the job (and what it cost, in words) once it is on chain, then waits until
 * it settles. Throws sibyl-js's errors: an unknown model, a refused transaction, a job that
 * failed or did not settle in time.
 */
export async function submitAndWait(
  sibyl: SigningSibyl,
  modelHash: string,
  input: Uint8Array,
  onSubmitted: (job: SubmittedJob, paid: string) => Promise<void>,
): Promise<CompletedJob> {
  const quote = await priceJob(sibyl, modelHash);
  const submitted = await submitJob(sibyl, { modelHash, input }, quote);
  await onSubmitted(submitted, tokens(submitted.paid.amount, submitted.paid.denom));
  return waitForResult(sibyl, submitted.jobId, WAIT);
}
