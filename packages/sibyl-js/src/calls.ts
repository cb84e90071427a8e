// Every chain call whose failure a user must understand goes through send() or query(): they turn
// what CosmJS throws into errors that say what went wrong. Nothing is ever sent twice: a broadcast
// that was not confirmed in time is reported, not retried.
import type { ExecuteResult } from "@cosmjs/cosmwasm-stargate";
import { TimeoutError } from "@cosmjs/stargate";

import {
  QueryFailedError,
  TransactionRejectedError,
  TransactionUnconfirmedError,
  messageOf,
} from "./errors.js";

/** Runs one transaction; `action` names it in errors ("delegating 100usibyl to …"). */
export async function send(
  action: string,
  transaction: () => Promise<ExecuteResult>,
): Promise<ExecuteResult> {
  try {
    return await transaction();
  } catch (error) {
    if (error instanceof TimeoutError) {
      throw new TransactionUnconfirmedError(action, error.txId, error);
    }
    throw new TransactionRejectedError(action, describeFailure(messageOf(error)), error);
  }
}

/** Runs one query; `what` names it in errors ("the price of model …"). */
export async function query<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new QueryFailedError(what, describeFailure(messageOf(error)), error);
  }
}

/**
 * The reason inside an error from a query, a simulation, CheckTx or DeliverTx: the contract's own
 * message (which says what to do), or the bank's words on a missing balance.
 */
export function describeFailure(message: string): string {
  const balance = /spendable balance (\S*?) is smaller than ([^\s:]+)/.exec(message);
  if (balance) {
    return (
      `insufficient funds: the account can spend ${balance[1] || "nothing"} but this needs ` +
      `${balance[2]}; add funds and try again`
    );
  }
  const account = /Account '([^']+)' does not exist on chain/.exec(message);
  if (account) {
    return `the account ${account[1]} has never received tokens; fund it first`;
  }
  // wasmd: "...message index: 0: <contract error>: execute wasm contract failed [...]", and for
  // queries "Query failed with (6): <contract error>: query wasm contract failed: ...".
  const contract =
    /message index: \d+: (.*?): execute wasm contract failed/s.exec(message) ??
    /Query failed with \(\d+\): (.*?): query wasm contract failed/s.exec(message);
  if (contract?.[1]) {
    return contract[1];
  }
  const log = /Raw log: (.*)$/s.exec(message) ?? /Log: (.*)$/s.exec(message);
  return log?.[1] ?? message;
}
