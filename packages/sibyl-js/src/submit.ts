// Prices a job with the escrow's own `price` query and submits it paying exactly that: the
// escrow refuses any other amount or denom.
import { toBase64 } from "@cosmjs/encoding";

import { query, send } from "./calls.js";
import type { Sibyl, SigningSibyl } from "./connect.js";
import { contractEvent } from "./events.js";
import type { Coin, JobInput, PriceResponse } from "./generated/SibylJobEscrow.types.js";

export interface JobRequest {
  /** sha256 of the model file (hex), as registered in the escrow. */
  modelHash: string;
  /** The raw input tensor (row-major, little-endian elements), sent inline; or a remote input. */
  input: Uint8Array | { remote: { hash: string; uri: string; size: number } };
  /** Operators asked (k); the escrow's default when omitted. */
  redundancy?: number;
  /** Identical answers needed (m), a strict majority of k; `⌊k/2⌋ + 1` when omitted. */
  quorum?: number;
}

export interface SubmittedJob {
  jobId: number;
  /** What the job cost: the escrow holds it until the job settles. */
  paid: Coin;
  transactionHash: string;
  height: number;
}

/** What the escrow charges for a job of `modelHash` asked of `redundancy` operators. */
export async function priceJob(
  sibyl: Sibyl,
  modelHash: string,
  redundancy?: number,
): Promise<PriceResponse> {
  return query(`the price of model ${modelHash}`, () =>
    sibyl.escrow.price({ modelHash, ...(redundancy === undefined ? {} : { redundancy }) }),
  );
}

/**
 * Submits a job from the signer's account, paying `quote.total`: give the quote the user agreed
 * to (from {@link priceJob} with the same model and redundancy), so that a price change since is
 * refused rather than charged. Without a quote, the current price is paid.
 */
export async function submitJob(
  sibyl: SigningSibyl,
  request: JobRequest,
  quote?: PriceResponse,
): Promise<SubmittedJob> {
  const price = quote ?? (await priceJob(sibyl, request.modelHash, request.redundancy));
  const result = await send(
    `submitting a job for model ${request.modelHash} (paying ${price.total.amount}${price.total.denom})`,
    () =>
      sibyl.escrowSigner.submitJob(
        {
          modelHash: request.modelHash,
          input: jobInput(request.input),
          // An account cannot be called back; the result is read with the job query.
          callback: false,
          ...(request.redundancy === undefined ? {} : { redundancy: request.redundancy }),
          ...(request.quorum === undefined ? {} : { quorum: request.quorum }),
        },
        "auto",
        undefined,
        [price.total],
      ),
  );
  const submitted = contractEvent(result.events, "sibyl_submit", sibyl.escrowAddress);
  return {
    jobId: Number(submitted["job_id"]),
    paid: price.total,
    transactionHash: result.transactionHash,
    height: result.height,
  };
}

/** The `input` field of `submit_job`. */
export function jobInput(input: JobRequest["input"]): JobInput {
  return input instanceof Uint8Array ? { inline: { data: toBase64(input) } } : input;
}
