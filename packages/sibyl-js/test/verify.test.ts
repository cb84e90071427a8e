import { fromHex, toBase64, toHex } from "@cosmjs/encoding";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { describe, expect, it } from "vitest";

import { attestationDigest, commitment, outputHash } from "../src/attestation.js";
import type { Evidence } from "../src/evidence.js";
import type { JobResponse } from "../src/generated/SibylJobEscrow.types.js";
import { VerificationError, verifyEvidence } from "../src/verify.js";
import { vectors } from "./vectors.js";

// The digits case of the shared vectors: its signature is python-ecdsa's, not this client's.
const c = vectors.attestation_digests[0]!;
const keys = vectors.attestation_digests.slice(0, 3).map((v) => fromHex(v.private_key));
const operators = ["wasm1operatora", "wasm1operatorb", "wasm1operatorc"];
const salt = (i: number) => Uint8Array.from({ length: 32 }, (_, j) => i * 32 + j);
const wrongOutput = fromHex("53494254010302010000000100000007000000");

/**
 * A job operators a and b completed with the vector's output (a signing with the vector's own
 * signature), while c revealed another output; everything as the chain would report it.
 */
function evidence(): Evidence {
  const output = fromHex(c.output);
  const digest = fromHex(c.digest);
  const revealed = [output, output, wrongOutput];
  const job: JobResponse = {
    job: {
      job_id: Number(c.job_id),
      consumer: "wasm1consumer",
      model_hash: c.model_hash,
      input_hash: c.input_hash,
      redundancy: 3,
      quorum: 2,
      callback: false,
      price: { denom: "usibyl", amount: "3000" },
      protocol_fee: "150",
      submitted_height: 10,
      commit_deadline: 50,
      reveal_deadline: 90,
      status: "completed",
      phase: null,
      settled_height: 20,
      refund: { denom: "usibyl", amount: "950" },
    },
    input: { inline: { data: toBase64(fromHex(c.input)) } },
    assignments: operators.map((operator, i) => ({
      operator,
      commitment: toBase64(commitment(1, outputHash(revealed[i]!), salt(i), operator)),
      output_hash: toHex(outputHash(revealed[i]!)),
      declined: null,
      outcome: i < 2 ? "paid" : "slashed_wrong_result",
    })),
    commits: 3,
    reveals: 3,
    declines: 0,
    result: { output: toBase64(output), output_hash: c.output_hash },
    callback_error: null,
  };
  const signatures = [
    fromHex(c.signature),
    secp256k1.sign(digest, keys[1]!, { prehash: false }),
    secp256k1.sign(digest, keys[2]!, { prehash: false }),
  ];
  return {
    chainId: c.chain_id,
    escrow: c.escrow,
    job,
    reveals: operators.map((operator, i) => ({
      operator,
      output: revealed[i]!,
      salt: salt(i),
      signature: signatures[i]!,
      height: 15,
      transactionHash: `HASH${i}`,
    })),
    keys: Object.fromEntries(
      operators.map((op, i) => [op, secp256k1.getPublicKey(keys[i]!, true)]),
    ),
    keyHeights: Object.fromEntries(operators.map((op) => [op, 15])),
  };
}

function problems(e: Evidence): string[] {
  try {
    verifyEvidence(e);
  } catch (error) {
    expect(error).toBeInstanceOf(VerificationError);
    return (error as VerificationError).problems;
  }
  throw new Error("the evidence verified");
}

describe("verifyEvidence", () => {
  it("verifies a completed job and decodes its output", () => {
    const result = verifyEvidence(evidence());
    expect(result.digest).toBe(c.digest);
    expect(result.outputHash).toBe(c.output_hash);
    expect(result.signers).toEqual(["wasm1operatora", "wasm1operatorb"]);
    expect(result.tensor).toEqual({ dtype: "i32", shape: [1, 1], values: Int32Array.of(2) });
  });

  it("refuses a changed output byte", () => {
    const e = evidence();
    const output = fromHex(c.output);
    output[output.length - 1] = 7;
    e.job.result!.output = toBase64(output);
    expect(problems(e)).toContain(
      `the output's sha256 is ${toHex(outputHash(output))}, not the result's output hash ${c.output_hash}`,
    );
  });

  it("refuses another output with consistent hashes: the signatures do not cover it", () => {
    const e = evidence();
    const forged = toHex(outputHash(wrongOutput));
    e.job.result = { output: toBase64(wrongOutput), output_hash: forged };
    for (const assignment of e.job.assignments) {
      assignment.output_hash = forged;
    }
    for (const reveal of e.reveals) {
      reveal.output = wrongOutput;
    }
    const found = problems(e);
    expect(found).toContain(
      `the signature of wasm1operatora does not verify against its attestation key ${c.public_key}`,
    );
    expect(found.filter((p) => p.startsWith("the signature of"))).toHaveLength(3);
    expect(found).toContain("the reveal of wasm1operatora does not open its commitment");
  });

  it("refuses a signature by another key", () => {
    const e = evidence();
    const stranger = secp256k1.utils.randomSecretKey();
    e.reveals[1]!.signature = secp256k1.sign(fromHex(c.digest), stranger, { prehash: false });
    expect(problems(e)).toEqual([
      `the signature of wasm1operatorb does not verify against its attestation key ` +
        toHex(e.keys["wasm1operatorb"]!),
    ]);
  });

  it("refuses a result signed for another chain or escrow", () => {
    expect(problems({ ...evidence(), chainId: "another-chain" })).toHaveLength(2);
    expect(problems({ ...evidence(), escrow: "wasm1another" })).toHaveLength(2);
  });

  it("refuses fewer agreeing operators than the quorum", () => {
    const e = evidence();
    e.job.job.quorum = 3;
    expect(problems(e)).toEqual(["2 operators agree, fewer than the quorum of 3"]);
  });

  it("refuses a reveal that does not open the commitment, or is missing", () => {
    const e = evidence();
    e.reveals[0]!.salt = salt(9);
    e.reveals.splice(1, 1);
    expect(problems(e)).toEqual([
      "the reveal of wasm1operatora does not open its commitment",
      "no reveal transaction of wasm1operatorb was found",
    ]);
  });

  it("refuses an input that is not the one the digest names", () => {
    const e = evidence();
    e.job.input = { inline: { data: toBase64(Uint8Array.of(1, 2, 3)) } };
    expect(problems(e)[0]).toMatch(/^the inline input's sha256 is [0-9a-f]{64}, not the job's/);
  });

  it("refuses a job that did not complete", () => {
    const e = evidence();
    e.job.job.status = "failed";
    e.job.result = null;
    expect(problems(e)).toEqual(["the job is failed: there is no result"]);
  });

  it("recomputes the digest of the shared vector from the job's fields", () => {
    const { job } = evidence().job;
    const digest = attestationDigest(
      c.chain_id,
      c.escrow,
      job.job_id,
      fromHex(job.model_hash),
      fromHex(job.input_hash),
      fromHex(c.output_hash),
    );
    expect(toHex(digest)).toBe(c.digest);
  });
});
