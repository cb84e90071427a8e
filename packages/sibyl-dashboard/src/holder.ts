// The token holder's part: balance, delegations with pending rewards, unbonding entries.
import type { SigningSibyl, stakingTypes } from "sibyl-js";

import { cell, element, row } from "./dom.js";
import { time, tokens } from "./format.js";

export interface Holding {
  balance: string;
  delegations: stakingTypes.DelegationResponse[];
  unbonding: stakingTypes.UnbondingEntryResponse[];
}

/** A holder has at most the contract's `max_unbonding_entries` entries per operator; one page. */
const PAGE = 30;

export async function fetchHolding(sibyl: SigningSibyl, denom: string): Promise<Holding> {
  const delegator = sibyl.sender;
  const [balance, delegations, unbonding] = await Promise.all([
    sibyl.client.getBalance(delegator, denom),
    sibyl.staking.delegations({ delegator, limit: PAGE }),
    sibyl.staking.unbondingEntries({ delegator, limit: PAGE }),
  ]);
  return {
    balance: balance.amount,
    delegations: delegations.delegations,
    unbonding: unbonding.entries,
  };
}

/**
 * Shows `holding`; `monikers` names the operators, and each delegation gets a withdraw button
 * that calls `onWithdraw` with its operator.
 */
export function renderHolding(
  sibyl: SigningSibyl,
  holding: Holding,
  denom: string,
  monikers: Map<string, string>,
  onWithdraw: (operator: string) => void,
): void {
  const name = (address: string) => monikers.get(address) ?? address;
  element("#account").textContent = sibyl.sender;
  element("#balance").textContent = tokens(holding.balance, denom);
  element("#delegations tbody").replaceChildren(
    ...holding.delegations.map((delegation) => {
      const withdraw = document.createElement("button");
      withdraw.type = "button";
      withdraw.textContent = "Withdraw rewards";
      withdraw.addEventListener("click", () => onWithdraw(delegation.operator));
      return row([
        cell("operator", name(delegation.operator)),
        cell("amount", tokens(delegation.amount, denom)),
        cell(
          "warming",
          delegation.warm_at && delegation.warming_shares !== "0"
            ? `earns rewards from ${time(delegation.warm_at)}`
            : "",
        ),
        cell("rewards", tokens(delegation.pending_rewards, denom)),
        cell("withdraw", withdraw),
      ]);
    }),
  );
  element("#unbonding tbody").replaceChildren(
    ...holding.unbonding.map((entry) =>
      row([
        cell("operator", name(entry.operator)),
        cell("amount", tokens(entry.amount, denom)),
        cell("matures", entry.matured ? "matured: claim it" : time(entry.completion_time)),
      ]),
    ),
  );
  element<HTMLButtonElement>("#claim").disabled = !holding.unbonding.some((e) => e.matured);
  const select = element<HTMLSelectElement>("#stake-form select");
  const chosen = select.value;
  select.replaceChildren(
    ...[...monikers].map(([address, moniker]) => new Option(moniker, address)),
  );
  if (chosen) {
    select.value = chosen;
  }
  for (const denomLabel of document.querySelectorAll(".denom")) {
    denomLabel.textContent = denom;
  }
}
