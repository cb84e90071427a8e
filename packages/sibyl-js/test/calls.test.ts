import { TimeoutError } from "@cosmjs/stargate";
import { describe, expect, it } from "vitest";

import { describeFailure, query, send } from "../src/calls.js";
import {
  QueryFailedError,
  TransactionRejectedError,
  TransactionUnconfirmedError,
} from "../src/errors.js";

// What CosmJS 0.39 throws against wasmd 0.70.3 on the localnet (collected from real runs).
const chain = {
  simulation:
    "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message " +
    "index: 0: payment too low: this job costs 3000usibyl, got 2999usibyl: execute wasm contract " +
    "failed [CosmWasm/wasmd/x/wasm/keeper/keeper.go:452] with gas used: '120602': unknown request",
  deliverTx:
    "Error when broadcasting tx 9885234202D98BED16140D875E851907066F701D4E6A212C1CF06C7E74829542 " +
    "at height 614. Code: 5; Raw log: failed to execute message; message index: 0: payment too " +
    "low: this job costs 3000usibyl, got 2999usibyl: execute wasm contract failed",
  checkTx:
    "Broadcasting transaction failed with code 5 (codespace: sdk). Log: spendable balance " +
    "100usibyl is smaller than 10000usibyl: insufficient funds: insufficient funds",
  funds:
    "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message " +
    "index: 0: spendable balance 1000usibyl is smaller than 3000usibyl: insufficient funds " +
    "[cosmos/cosmos-sdk@v0.54.0/x/bank/keeper/send.go:324] with gas used: '116021': unknown request",
  noAccount:
    "Account 'wasm1958antcs32xv6v8hkd57su449fmvwayvayck90' does not exist on chain. Send some " +
    "tokens there before trying to query sequence.",
  query:
    "Query failed with (6): unknown model 0000000000000000000000000000000000000000000000000000000000000000: " +
    "register it first: query wasm contract failed: unknown request",
};

describe("describeFailure", () => {
  it("finds the contract's message in a simulation, CheckTx or DeliverTx failure", () => {
    const reason = "payment too low: this job costs 3000usibyl, got 2999usibyl";
    expect(describeFailure(chain.simulation)).toBe(reason);
    expect(describeFailure(chain.deliverTx)).toBe(reason);
  });

  it("says how much the account can spend and how much is needed", () => {
    expect(describeFailure(chain.checkTx)).toBe(
      "insufficient funds: the account can spend 100usibyl but this needs 10000usibyl; add funds " +
        "and try again",
    );
    expect(describeFailure(chain.funds)).toMatch(/can spend 1000usibyl but this needs 3000usibyl;/);
  });

  it("names an account that was never funded", () => {
    expect(describeFailure(chain.noAccount)).toBe(
      "the account wasm1958antcs32xv6v8hkd57su449fmvwayvayck90 has never received tokens; fund " +
        "it first",
    );
  });

  it("finds the contract's message in a failed query", () => {
    expect(describeFailure(chain.query)).toBe(
      `unknown model ${"00".repeat(32)}: register it first`,
    );
  });

  it("keeps a message it does not know", () => {
    expect(describeFailure("fetch failed")).toBe("fetch failed");
  });
});

describe("send and query", () => {
  it("report a refusal with the action and the reason", async () => {
    const error = await send("submitting a job", async () => {
      throw new Error(chain.simulation);
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRejectedError);
    expect((error as Error).message).toBe(
      "submitting a job was refused: payment too low: this job costs 3000usibyl, got 2999usibyl",
    );
    await expect(
      query("the price of model 00", async () => {
        throw new Error(chain.query);
      }),
    ).rejects.toThrow(QueryFailedError);
  });

  it("report an unconfirmed broadcast with its hash, and do not send it again", async () => {
    let sent = 0;
    const error = await send("claiming", async () => {
      sent++;
      throw new TimeoutError("Transaction with ID ABC was submitted but was not yet found", "ABC");
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionUnconfirmedError);
    expect((error as TransactionUnconfirmedError).transactionHash).toBe("ABC");
    expect((error as Error).message).toMatch(/^claiming: transaction ABC was sent but is not in a/);
    expect(sent).toBe(1);
  });
});
