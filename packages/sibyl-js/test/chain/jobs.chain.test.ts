// A job through the client, settled by three real `sibyl-oracle run` operators.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { fromBase64, fromHex, toBase64 } from "@cosmjs/encoding";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { beforeAll, describe, expect, it } from "vitest";

import { classifyDigit } from "../../examples/classify-digit.js";
import type { SigningSibyl } from "../../src/connect.js";
import { TransactionRejectedError } from "../../src/errors.js";
import { fetchEvidence } from "../../src/evidence.js";
import type { PriceResponse } from "../../src/generated/SibylJobEscrow.types.js";
import { priceJob, submitJob } from "../../src/submit.js";
import { VerificationError, verifyEvidence, verifyJob } from "../../src/verify.js";
import { type CompletedJob, waitForResult } from "../../src/wait.js";
import { connectAs, context } from "./context.js";
import { repoRoot } from "./localnet.js";

const digits = join(repoRoot, "models/digits");
const images = readFileSync(join(digits, "test_inputs.bin"));
const labels = readFileSync(join(digits, "test_labels.bin"));
const image = (i: number) => Uint8Array.from(images.subarray(64 * i, 64 * (i + 1)));

describe("a job on the localnet", () => {
  const { chain, jobs, consumer } = context();
  let sibyl: SigningSibyl;
  let quote: PriceResponse;
  let completed: CompletedJob;

  beforeAll(async () => {
    sibyl = await connectAs(consumer, jobs.escrow);
    quote = await priceJob(sibyl, jobs.model_hash);
    const { jobId } = await submitJob(
      sibyl,
      { modelHash: jobs.model_hash, input: image(1) },
      quote,
    );
    completed = await waitForResult(sibyl, jobId);
    return () => sibyl.disconnect();
  });

  it("paid exactly the escrow's price", () => {
    expect(quote.total).toEqual({ denom: chain.denom, amount: "3000" });
    expect(completed.job.price).toEqual(quote.total);
    expect(completed.job.quorum).toBe(2);
    expect(completed.job.redundancy).toBe(3);
  });

  it("verifies the result against the operators' attestation keys and decodes it", async () => {
    const verified = await verifyJob(sibyl, completed.job.job_id);
    expect(verified.tensor).toEqual({
      dtype: "i32",
      shape: [1, 1],
      values: Int32Array.of(labels[1]!),
    });
    expect(verified.signers.length).toBeGreaterThanOrEqual(2);
    expect(jobs.operators).toEqual(expect.arrayContaining(verified.signers));
    const evidence = await fetchEvidence(sibyl, completed.job.job_id);
    // The localnet keeps its states: every key was read as of its reveal's block.
    expect(Object.values(evidence.keyHeights).every((h) => typeof h === "number")).toBe(true);
  });

  it("refuses the result with one output byte changed", async () => {
    const evidence = await fetchEvidence(sibyl, completed.job.job_id);
    const output = fromBase64(evidence.job.result!.output);
    output[output.length - 1]! ^= 1;
    evidence.job.result!.output = toBase64(output);
    expect(() => verifyEvidence(evidence)).toThrow(VerificationError);
    expect(() => verifyEvidence(evidence)).toThrow(
      /the output's sha256 is [0-9a-f]{64}, not the result's/,
    );
  });

  it("refuses the result with a signature from another key", async () => {
    const evidence = await fetchEvidence(sibyl, completed.job.job_id);
    const digest = fromHex(verifyEvidence(evidence).digest);
    const [first] = evidence.reveals;
    first!.signature = secp256k1.sign(digest, secp256k1.utils.randomSecretKey(), {
      prehash: false,
    });
    expect(() => verifyEvidence(evidence)).toThrow(
      `the result of job ${completed.job.job_id} does not verify: the signature of ` +
        `${first!.operator} does not verify against its attestation key`,
    );
  });

  it("refuses a wrong fee with the escrow's reason and charges nothing", async () => {
    const before = await sibyl.client.getBalance(sibyl.sender, chain.denom);
    const request = { modelHash: jobs.model_hash, input: image(2) };
    const less = { ...quote, total: { ...quote.total, amount: "2999" } };
    const error = await submitJob(sibyl, request, less).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRejectedError);
    expect((error as Error).message).toBe(
      `submitting a job for model ${jobs.model_hash} (paying 2999usibyl) was refused: ` +
        "payment too low: this job costs 3000usibyl, got 2999usibyl",
    );
    const more = { ...quote, total: { ...quote.total, amount: "3001" } };
    await expect(submitJob(sibyl, request, more)).rejects.toThrow(
      "overpayment refused: this job costs exactly 3000usibyl, got 3001usibyl",
    );
    // Refused in simulation: no transaction was sent, no fee paid.
    expect(await sibyl.client.getBalance(sibyl.sender, chain.denom)).toEqual(before);
  });

  it("runs the worked example of docs/dapp-guide.md", async () => {
    const endpoints = { ...chain, escrow: jobs.escrow };
    const answer = await classifyDigit(endpoints, consumer.mnemonic, jobs.model_hash, image(0));
    expect(answer.digit).toBe(labels[0]);
    expect(answer.price).toEqual(quote.total);
    expect(answer.signers.length).toBeGreaterThanOrEqual(2);
  });
});
