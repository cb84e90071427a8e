// The operators table: every operator of the staking contract, with its share of the active set's
// stake as a bar.
import type { Sibyl, stakingTypes } from "sibyl-js";

import { cell, element, row } from "./dom.js";
import { percent, share, time, tokens } from "./format.js";

type Operator = stakingTypes.OperatorResponse;

/** The contract caps a page of `operators` at this many. */
const PAGE = 30;

export async function fetchOperators(sibyl: Sibyl): Promise<Operator[]> {
  const all: Operator[] = [];
  for (;;) {
    const { operators } = await sibyl.staking.operators({
      limit: PAGE,
      startAfter: all.at(-1)?.address,
    });
    all.push(...operators);
    if (operators.length < PAGE) {
      return all;
    }
  }
}

export function renderOperators(operators: Operator[], denom: string): void {
  const activeStake = operators
    .filter((operator) => operator.status === "active")
    .reduce((sum, operator) => sum + BigInt(operator.total_stake), 0n);
  element("#operators tbody").replaceChildren(
    ...operators.map((operator) =>
      row([
        cell("moniker", operator.moniker),
        cell("address", code(operator.address)),
        cell("status", status(operator)),
        cell("self-bond", tokens(operator.self_bond, denom)),
        cell("total-stake", tokens(operator.total_stake, denom)),
        cell(
          "share",
          operator.status === "active"
            ? bar(share(BigInt(operator.total_stake), activeStake))
            : "not in the active set",
        ),
        cell("commission", percent(operator.commission)),
      ]),
    ),
  );
}

function status(operator: Operator): string {
  if (operator.status === "jailed" && operator.jailed_until) {
    return `jailed until ${time(operator.jailed_until)}`;
  }
  return operator.status.replaceAll("_", " ");
}

function code(text: string): HTMLElement {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}

function bar(percentage: number): HTMLElement {
  const outer = document.createElement("span");
  outer.className = "bar";
  const inner = document.createElement("span");
  inner.style.width = `${percentage}%`;
  const label = document.createElement("span");
  label.textContent = `${percentage}%`;
  outer.append(inner);
  const wrapper = document.createElement("span");
  wrapper.append(outer, label);
  return wrapper;
}
