// The known answers shared with the Rust tests (packages/sibyl-api/tests/vectors/).
import { readFileSync } from "node:fs";

export interface AttestationCase {
  name: string;
  chain_id: string;
  escrow: string;
  job_id: string;
  model_hash: string;
  input: string;
  input_hash: string;
  output: string;
  output_hash: string;
  digest: string;
  private_key: string;
  public_key: string;
  signature: string;
}

export interface CommitmentCase {
  name: string;
  job_id: string;
  output_hash: string;
  salt: string;
  operator: string;
  commitment: string;
}

export interface KeyPossessionCase {
  name: string;
  chain_id: string;
  staking: string;
  operator: string;
  public_key: string;
  digest: string;
  private_key?: string;
  signature?: string;
}

export const vectors = JSON.parse(
  readFileSync(new URL("../../sibyl-api/tests/vectors/attestation.json", import.meta.url), "utf8"),
) as {
  attestation_digests: AttestationCase[];
  commitments: CommitmentCase[];
  key_possession_digests: KeyPossessionCase[];
};
