// Checks a job's result locally, trusting none of the node's claims about it: the output hash,
// the input hash, the attestation digest, and that every operator counted as agreeing revealed
// exactly these bytes under its commitment and signed the digest with its attestation key.
import { fromBase64, fromHex, toBase64, toHex } from "@cosmjs/encoding";

import {
  attestationDigest,
  commitment,
  inputHash,
  outputHash,
  verifySignature,
} from "./attestation.js";
import type { Sibyl } from "./connect.js";
import { SibylError, messageOf } from "./errors.js";
import { type Evidence, fetchEvidence } from "./evidence.js";
import { type Tensor, decodeTensor } from "./tensor.js";

export interface VerifiedResult {
  jobId: number;
  /** The canonical output bytes. */
  output: Uint8Array;
  tensor: Tensor;
  /** sha256 of `output`, hex. */
  outputHash: string;
  /** The attestation digest the agreeing operators signed, hex. */
  digest: string;
  /** The agreeing operators, each of whose signature verified. */
  signers: string[];
}

/** The result did not verify; `problems` lists every check that failed. */
export class VerificationError extends SibylError {
  override name = "VerificationError";
  constructor(
    readonly jobId: number,
    readonly problems: string[],
  ) {
    super(`the result of job ${jobId} does not verify: ${problems.join("; ")}`);
  }
}

/** Fetches the evidence of job `jobId` and verifies it. */
export async function verifyJob(sibyl: Sibyl, jobId: number): Promise<VerifiedResult> {
  return verifyEvidence(await fetchEvidence(sibyl, jobId));
}

export function verifyEvidence(evidence: Evidence): VerifiedResult {
  const { job: response, reveals, keys } = evidence;
  const { job } = response;
  const jobId = job.job_id;
  const result = response.result;
  if (job.status !== "completed" || !result) {
    throw new VerificationError(jobId, [`the job is ${job.status}: there is no result`]);
  }
  const problems: string[] = [];
  const output = fromBase64(result.output);
  const hash = toHex(outputHash(output));
  if (hash !== result.output_hash) {
    problems.push(
      `the output's sha256 is ${hash}, not the result's output hash ${result.output_hash}`,
    );
  }
  const claimedInput =
    "inline" in response.input ? inputHash(fromBase64(response.input.inline.data)) : null;
  if (claimedInput && toHex(claimedInput) !== job.input_hash) {
    problems.push(`the inline input's sha256 is ${toHex(claimedInput)}, not the job's input hash`);
  }
  if ("remote" in response.input && response.input.remote.hash !== job.input_hash) {
    problems.push("the remote input's hash is not the job's input hash");
  }
  const digest = attestationDigest(
    evidence.chainId,
    evidence.escrow,
    jobId,
    fromHex(job.model_hash),
    fromHex(job.input_hash),
    outputHash(output),
  );

  const agreeing = response.assignments.filter((a) => a.output_hash === result.output_hash);
  if (agreeing.length < job.quorum) {
    problems.push(`${agreeing.length} operators agree, fewer than the quorum of ${job.quorum}`);
  }
  const signers: string[] = [];
  for (const assignment of agreeing) {
    const operator = assignment.operator;
    const reveal = reveals.find((r) => r.operator === operator);
    if (!reveal) {
      problems.push(`no reveal transaction of ${operator} was found`);
      continue;
    }
    const before = problems.length;
    if (toHex(outputHash(reveal.output)) !== hash) {
      problems.push(`${operator} revealed other bytes than the result`);
    }
    const committed = toBase64(commitment(jobId, outputHash(reveal.output), reveal.salt, operator));
    if (committed !== assignment.commitment) {
      problems.push(`the reveal of ${operator} does not open its commitment`);
    }
    const key = keys[operator];
    if (!key) {
      problems.push(`the attestation key of ${operator} is unknown`);
    } else if (!verifySignature(reveal.signature, digest, key)) {
      problems.push(
        `the signature of ${operator} does not verify against its attestation key ${toHex(key)}`,
      );
    }
    if (problems.length === before) {
      signers.push(operator);
    }
  }

  let tensor: Tensor | undefined;
  try {
    tensor = decodeTensor(output);
  } catch (error) {
    problems.push(`the output is not a canonical tensor: ${messageOf(error)}`);
  }
  if (problems.length > 0 || !tensor) {
    throw new VerificationError(jobId, problems);
  }
  return { jobId, output, tensor, outputHash: hash, digest: toHex(digest), signers };
}
