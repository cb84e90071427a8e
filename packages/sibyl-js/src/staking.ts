// A token holder's four staking actions (docs/staking.md), in the staking contract's bond denom,
// each returning what its event reports.
import { send } from "./calls.js";
import type { SigningSibyl } from "./connect.js";
import { contractEvent } from "./events.js";

export interface Delegated {
  /** Pool shares the delegation received. */
  shares: string;
  /** When the new shares start to earn rewards (ISO 8601). */
  warmAt: string;
  transactionHash: string;
}

export interface Undelegated {
  /** The unbonding entry (see the `unbonding_entries` query); none for a worthless delegation. */
  unbondingEntry: number | undefined;
  transactionHash: string;
}

export interface Claimed {
  /** Paid to the delegator. */
  amount: string;
  /** Taken from the claimed entries by slashes since they were created. */
  slashed: string;
  transactionHash: string;
}

export interface RewardsWithdrawn {
  rewards: string;
  /** The operator's commission, when the delegator is the operator. */
  commission: string;
  transactionHash: string;
}

/** Delegates `amount` (bond denom, smallest unit) to `operator`. */
export async function delegate(
  sibyl: SigningSibyl,
  operator: string,
  amount: bigint | string,
): Promise<Delegated> {
  const tokens = tokenAmount(amount);
  const { bond_denom: denom } = await sibyl.staking.config();
  const result = await send(`delegating ${tokens}${denom} to ${operator}`, () =>
    sibyl.stakingSigner.delegate({ operator }, "auto", undefined, [{ denom, amount: tokens }]),
  );
  const event = contractEvent(result.events, "sibyl_staking_delegated", sibyl.stakingAddress);
  return {
    shares: event["shares"]!,
    warmAt: nanosToIso(event["warm_at"]!),
    transactionHash: result.transactionHash,
  };
}

/** Starts unbonding `amount` of the signer's delegation to `operator`. */
export async function undelegate(
  sibyl: SigningSibyl,
  operator: string,
  amount: bigint | string,
): Promise<Undelegated> {
  const tokens = tokenAmount(amount);
  const result = await send(`undelegating ${tokens} from ${operator}`, () =>
    sibyl.stakingSigner.undelegate({ operator, amount: tokens }),
  );
  const entry = contractEvent(result.events, "sibyl_staking_undelegated", sibyl.stakingAddress)[
    "unbonding_entry"
  ];
  return {
    unbondingEntry: entry === undefined ? undefined : Number(entry),
    transactionHash: result.transactionHash,
  };
}

/** Pays the signer every unbonding entry that has matured. */
export async function claim(sibyl: SigningSibyl): Promise<Claimed> {
  const result = await send("claiming matured unbondings", () => sibyl.stakingSigner.claim());
  const event = contractEvent(result.events, "sibyl_staking_claimed", sibyl.stakingAddress);
  return {
    amount: event["amount"]!,
    slashed: event["slashed"]!,
    transactionHash: result.transactionHash,
  };
}

/** Pays the signer's rewards from its delegation to `operator`. */
export async function withdrawRewards(
  sibyl: SigningSibyl,
  operator: string,
): Promise<RewardsWithdrawn> {
  const result = await send(`withdrawing rewards from ${operator}`, () =>
    sibyl.stakingSigner.withdrawRewards({ operator }),
  );
  const event = contractEvent(
    result.events,
    "sibyl_staking_rewards_withdrawn",
    sibyl.stakingAddress,
  );
  return {
    rewards: event["rewards"]!,
    commission: event["commission"]!,
    transactionHash: result.transactionHash,
  };
}

/** A positive whole number of the smallest unit, as the contract's `Uint128` string. */
export function tokenAmount(amount: bigint | string): string {
  const text = typeof amount === "bigint" ? amount.toString() : amount.trim();
  if (!/^[0-9]+$/.test(text) || BigInt(text) === 0n || BigInt(text) >= 1n << 128n) {
    throw new RangeError(
      `${String(amount)} is not an amount of tokens: give a positive whole number of the ` +
        `smallest unit (e.g. 1000000 for 1 token of 6 decimals)`,
    );
  }
  return BigInt(text).toString();
}

function nanosToIso(nanos: string): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString();
}
