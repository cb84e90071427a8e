import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { connectWithSigner, priceJob, submitJob, verifyJob, waitForResult } from "sibyl-js";

/** Where the dApp's chain and Sibyl's escrow are. */
export interface Endpoints {
  rpc: string;
  chainId: string;
  escrow: string;
  gasPrice: string;
}

/** Asks Sibyl which digit an 8 × 8 image shows; returns the verified answer. */
export async function classifyDigit(
  endpoints: Endpoints,
  mnemonic: string,
  modelHash: string,
  image: Uint8Array,
) {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "wasm" });
  // Refuses another chain, or an address that is not Sibyl's escrow, before anything is sent.
  const sibyl = await connectWithSigner(endpoints, wallet, endpoints.gasPrice);
  try {
    // Show the user the price; submitting pays exactly this quote, or is refused if it changed.
    const quote = await priceJob(sibyl, modelHash, 3);
    const request = { modelHash, input: image, redundancy: 3, quorum: 2 };
    const { jobId } = await submitJob(sibyl, request, quote);
    await waitForResult(sibyl, jobId, { timeoutMs: 120_000 });
    // Recomputes the output hash and the attestation digest and checks the signature of every
    // operator that agreed against its key in the staking contract: no need to trust the node.
    const verified = await verifyJob(sibyl, jobId);
    return {
      jobId,
      price: quote.total,
      digit: verified.tensor.values[0],
      signers: verified.signers,
    };
  } finally {
    sibyl.disconnect();
  }
}
