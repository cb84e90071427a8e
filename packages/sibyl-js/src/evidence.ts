// Collects what a result's verification needs from the chain: the job, every reveal message of
// it (the only place the operators' signatures are kept) and each revealer's attestation key.
import { fromBase64, fromUtf8 } from "@cosmjs/encoding";
import { decodeTxRaw } from "@cosmjs/proto-signing";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";

import { query } from "./calls.js";
import type { Sibyl } from "./connect.js";
import type { JobResponse } from "./generated/SibylJobEscrow.types.js";
import type { OperatorResponse } from "./generated/SibylStaking.types.js";

/** One operator's `reveal` message, as it was included in a block. */
export interface Reveal {
  operator: string;
  output: Uint8Array;
  salt: Uint8Array;
  signature: Uint8Array;
  height: number;
  transactionHash: string;
}

export interface Evidence {
  /** The chain the dApp expects (the attestation digest names it). */
  chainId: string;
  escrow: string;
  job: JobResponse;
  reveals: Reveal[];
  /**
   * Each revealer's attestation public key (33 bytes) from the staking contract, as of its
   * reveal's block: the key the escrow checked. `keyHeights` says which height it was read at;
   * `"latest"` where the node no longer had that block's state.
   */
  keys: Record<string, Uint8Array>;
  keyHeights: Record<string, number | "latest">;
}

const EXECUTE_CONTRACT = "/cosmwasm.wasm.v1.MsgExecuteContract";

interface RevealMsg {
  reveal?: { job_id: number; operator: string; output: string; salt: string; signature: string };
}

export async function fetchEvidence(sibyl: Sibyl, jobId: number): Promise<Evidence> {
  const job = await query(`job ${jobId}`, () => sibyl.escrow.job({ jobId }));
  const reveals = await findReveals(sibyl, jobId);
  const keys: Evidence["keys"] = {};
  const keyHeights: Evidence["keyHeights"] = {};
  for (const reveal of reveals) {
    const [key, height] = await attestationKey(sibyl, reveal.operator, reveal.height);
    keys[reveal.operator] = key;
    keyHeights[reveal.operator] = height;
  }
  return { chainId: sibyl.chainId, escrow: sibyl.escrowAddress, job, reveals, keys, keyHeights };
}

/** The reveal messages of job `jobId`, from the transactions whose events name it. */
async function findReveals(sibyl: Sibyl, jobId: number): Promise<Reveal[]> {
  const txs = await query(`the reveal transactions of job ${jobId}`, () =>
    sibyl.client.searchTx([
      { key: "wasm-sibyl_reveal.job_id", value: String(jobId) },
      { key: "wasm-sibyl_reveal._contract_address", value: sibyl.escrowAddress },
    ]),
  );
  const reveals: Reveal[] = [];
  for (const tx of txs) {
    for (const message of decodeTxRaw(tx.tx).body.messages) {
      if (message.typeUrl !== EXECUTE_CONTRACT) {
        continue;
      }
      const execute = MsgExecuteContract.decode(message.value);
      const reveal = (JSON.parse(fromUtf8(execute.msg)) as RevealMsg).reveal;
      if (execute.contract !== sibyl.escrowAddress || reveal?.job_id !== jobId) {
        continue;
      }
      reveals.push({
        operator: reveal.operator,
        output: fromBase64(reveal.output),
        salt: fromBase64(reveal.salt),
        signature: fromBase64(reveal.signature),
        height: tx.height,
        transactionHash: tx.hash,
      });
    }
  }
  return reveals;
}

async function attestationKey(
  sibyl: Sibyl,
  operator: string,
  height: number,
): Promise<[Uint8Array, number | "latest"]> {
  const msg = { operator: { address: operator } };
  let found: OperatorResponse;
  let at: number | "latest" = height;
  try {
    found = await sibyl.queryAt<OperatorResponse>(sibyl.stakingAddress, msg, height);
  } catch {
    // A pruning node keeps recent states only; the current key is the next best witness (a
    // rotation since the reveal makes the check fail, never pass wrongly).
    at = "latest";
    found = await query(`the attestation key of ${operator}`, () =>
      sibyl.staking.operator({ address: operator }),
    );
  }
  return [fromBase64(found.attestation_pubkey), at];
}
