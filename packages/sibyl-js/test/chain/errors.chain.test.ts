// What a user is told when the dApp is pointed at the wrong place or cannot pay.
import { describe, expect, it } from "vitest";

import { connect } from "../../src/connect.js";
import {
  EndpointUnreachableError,
  QueryFailedError,
  TransactionRejectedError,
  WrongChainError,
  WrongContractError,
} from "../../src/errors.js";
import { priceJob, submitJob } from "../../src/submit.js";
import { connectAs, context } from "./context.js";

describe("bad input", () => {
  const { chain, jobs, poor, consumer } = context();
  const options = { rpc: chain.rpc, chainId: chain.chainId, escrow: jobs.escrow };

  it("a wrong chain id", async () => {
    const error = await connect({ ...options, chainId: "sibyl-1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongChainError);
    expect((error as Error).message).toBe(
      `the node at ${chain.rpc} is on chain "${chain.chainId}", not "sibyl-1"; check the chain ` +
        "id and the endpoint",
    );
  });

  it("an unreachable endpoint", async () => {
    const error = await connect({ ...options, rpc: "http://127.0.0.1:1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect((error as Error).message).toMatch(
      /^cannot reach a chain node at http:\/\/127\.0\.0\.1:1 \(.+\); check the address and that the node is running$/,
    );
  });

  it("a contract of another kind, or no contract, at the escrow's address", async () => {
    for (const [address, holds] of [
      [jobs.staking, "crates.io:sibyl-staking"],
      [jobs.consumer, "crates.io:sibyl-example-consumer"],
    ] as const) {
      const error = await connect({ ...options, escrow: address }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongContractError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^${address} is not Sibyl's job escrow: it holds ${holds} \\S+, not ` +
            "crates.io:sibyl-job-escrow; check the contract address$",
        ),
      );
    }
    await expect(connect({ ...options, escrow: consumer.address })).rejects.toThrow(
      `${consumer.address} is not Sibyl's job escrow: there is no contract there`,
    );
  });

  it("a job the account cannot pay for", async () => {
    const sibyl = await connectAs(poor, jobs.escrow);
    try {
      const error = await submitJob(sibyl, {
        modelHash: jobs.model_hash,
        input: new Uint8Array(64),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionRejectedError);
      expect((error as TransactionRejectedError).reason).toBe(
        "insufficient funds: the account can spend 1000usibyl but this needs 3000usibyl; add " +
          "funds and try again",
      );
    } finally {
      sibyl.disconnect();
    }
  });

  it("a model the escrow does not know", async () => {
    const sibyl = await connect(options);
    try {
      const unknown = "00".repeat(32);
      const error = await priceJob(sibyl, unknown).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as Error).message).toBe(
        `could not read the price of model ${unknown}: unknown model ${unknown}: register it first`,
      );
    } finally {
      sibyl.disconnect();
    }
  });
});
