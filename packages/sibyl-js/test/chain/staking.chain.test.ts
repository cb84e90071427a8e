// A token holder's staking actions on the "staking" deployment (unbonding takes 5 s).
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { SigningSibyl } from "../../src/connect.js";
import { TransactionRejectedError } from "../../src/errors.js";
import { claim, delegate, undelegate, withdrawRewards } from "../../src/staking.js";
import { connectAs, context } from "./context.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("staking", () => {
  const { chain, staking, delegator } = context();
  const operator = staking.operators[0]!;
  let sibyl: SigningSibyl;

  beforeAll(async () => {
    sibyl = await connectAs(delegator, staking.escrow);
  });
  afterAll(() => sibyl.disconnect());

  const delegation = () => sibyl.staking.delegation({ delegator: sibyl.sender, operator });

  it("delegates, earns and withdraws rewards", async () => {
    const delegated = await delegate(sibyl, operator, "2000000");
    expect((await delegation()).amount).toBe("2000000");
    // Income paid while the shares still warm up is forfeited: pay it after they are warm.
    await sleep(Math.max(0, Date.parse(delegated.warmAt) - Date.now()) + 1_500);
    await sibyl.stakingSigner.distribute({ operator }, "auto", undefined, [
      { denom: chain.denom, amount: "1000000" },
    ]);
    const pending = await sibyl.staking.pendingRewards({ delegator: sibyl.sender, operator });
    expect(BigInt(pending.rewards)).toBeGreaterThan(0n);
    const withdrawn = await withdrawRewards(sibyl, operator);
    expect(withdrawn.rewards).toBe(pending.rewards);
    expect(withdrawn.commission).toBe("0");
    await expect(withdrawRewards(sibyl, operator)).rejects.toThrow(
      `withdrawing rewards from ${operator} was refused: no rewards to withdraw`,
    );
  });

  it("undelegates, and claims once the unbonding has matured", async () => {
    const { unbondingEntry } = await undelegate(sibyl, operator, "500000");
    expect(unbondingEntry).toBeDefined();
    expect((await delegation()).amount).toBe("1500000");
    await expect(claim(sibyl)).rejects.toThrow(
      "claiming matured unbondings was refused: nothing to claim: no unbonding entry has matured",
    );
    const entries = async () =>
      (await sibyl.staking.unbondingEntries({ delegator: sibyl.sender })).entries;
    expect((await entries()).map((e) => [e.id, e.amount])).toEqual([[unbondingEntry, "500000"]]);
    while (!(await entries()).every((entry) => entry.matured)) {
      await sleep(500);
    }
    expect(await claim(sibyl)).toMatchObject({ amount: "500000", slashed: "0" });
    expect(await entries()).toEqual([]);
  });

  it("refuses what the contract refuses, and a malformed amount before sending", async () => {
    const error = await delegate(sibyl, sibyl.sender, "1000").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRejectedError);
    expect((error as Error).message).toBe(
      `delegating 1000usibyl to ${sibyl.sender} was refused: ${sibyl.sender} is not a ` +
        "registered operator",
    );
    await expect(undelegate(sibyl, operator, "9000000")).rejects.toThrow(
      "was refused: delegation is worth only 1500000",
    );
    await expect(delegate(sibyl, operator, "1.5")).rejects.toThrow(RangeError);
  });
});
