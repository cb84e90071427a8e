// What the chain tests get from setup.ts, and how they connect as one of its accounts.
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { inject } from "vitest";

import { type SigningSibyl, connectWithSigner } from "../../src/connect.js";
import type { Localnet } from "./localnet.js";
import { PREFIX } from "./localnet.js";
import type { Account, Deployment } from "./network.js";

export interface ChainContext {
  chain: Localnet;
  /** Three running operators. */
  jobs: Deployment & { operators: string[] };
  /** One registered operator, not running; unbonding takes 5 s. */
  staking: Deployment & { operators: string[] };
  consumer: Account;
  delegator: Account;
  /** Holds less than a job's price. */
  poor: Account;
}

declare module "vitest" {
  export interface ProvidedContext {
    chain: ChainContext;
  }
}

export const context = (): ChainContext => inject("chain");

/** Connects to `escrow` signing as `account`. */
export async function connectAs(account: Account, escrow: string): Promise<SigningSibyl> {
  const { chain } = context();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: PREFIX });
  return connectWithSigner(
    { rpc: chain.rpc, chainId: chain.chainId, escrow },
    wallet,
    chain.gasPrice,
  );
}
