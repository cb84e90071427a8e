// Connects to a chain and checks, before anything is sent, that the node serves the expected
// chain and that the addresses hold Sibyl's escrow and staking contracts (their cw2 names).
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { fromUtf8, toUtf8 } from "@cosmjs/encoding";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { GasPrice, QueryClient } from "@cosmjs/stargate";
import { type CometClient, connectComet } from "@cosmjs/tendermint-rpc";
import {
  QuerySmartContractStateRequest,
  QuerySmartContractStateResponse,
} from "cosmjs-types/cosmwasm/wasm/v1/query";

import {
  EndpointUnreachableError,
  WrongChainError,
  WrongContractError,
  messageOf,
} from "./errors.js";
import {
  SibylJobEscrowClient,
  SibylJobEscrowQueryClient,
} from "./generated/SibylJobEscrow.client.js";
import { SibylStakingClient, SibylStakingQueryClient } from "./generated/SibylStaking.client.js";

/** cw2 names, as `CONTRACT_NAME` in packages/sibyl-api/src/{escrow,staking}.rs. */
export const ESCROW_CONTRACT_NAME = "crates.io:sibyl-job-escrow";
export const STAKING_CONTRACT_NAME = "crates.io:sibyl-staking";

export interface SibylOptions {
  /** CometBFT RPC endpoint, e.g. `http://127.0.0.1:26657`. */
  rpc: string;
  /** The chain the dApp means; the node must serve it and the escrow must sign for it. */
  chainId: string;
  /** The job-escrow contract; the staking contract is the one its config names. */
  escrow: string;
}

/** A checked, read-only connection to a Sibyl deployment. */
export interface Sibyl {
  readonly chainId: string;
  readonly escrowAddress: string;
  readonly stakingAddress: string;
  readonly client: CosmWasmClient;
  readonly escrow: SibylJobEscrowQueryClient;
  readonly staking: SibylStakingQueryClient;
  /** A smart query answered from the state at `height` (the node must still hold it). */
  queryAt<T>(contract: string, msg: object, height: number): Promise<T>;
  disconnect(): void;
}

/** A connection that signs as `sender`. */
export interface SigningSibyl extends Sibyl {
  readonly sender: string;
  readonly signingClient: SigningCosmWasmClient;
  readonly escrowSigner: SibylJobEscrowClient;
  readonly stakingSigner: SibylStakingClient;
}

export async function connect(options: SibylOptions): Promise<Sibyl> {
  const comet = await reach(options.rpc);
  try {
    return await checked(comet, CosmWasmClient.create(comet), options);
  } catch (error) {
    comet.disconnect();
    throw error;
  }
}

/**
 * Like {@link connect}, signing with the first account of `signer` and paying fees at
 * `gasPrice` (e.g. `"0.025usibyl"`), with gas estimated by simulation.
 */
export async function connectWithSigner(
  options: SibylOptions,
  signer: OfflineSigner,
  gasPrice: string,
): Promise<SigningSibyl> {
  const comet = await reach(options.rpc);
  try {
    const signingClient = SigningCosmWasmClient.createWithSigner(comet, signer, {
      gasPrice: GasPrice.fromString(gasPrice),
    });
    const sibyl = await checked(comet, signingClient, options);
    const [account] = await signer.getAccounts();
    if (account === undefined) {
      throw new Error("the signer has no account");
    }
    const sender = account.address;
    return {
      ...sibyl,
      sender,
      signingClient,
      escrowSigner: new SibylJobEscrowClient(signingClient, sender, sibyl.escrowAddress),
      stakingSigner: new SibylStakingClient(signingClient, sender, sibyl.stakingAddress),
    };
  } catch (error) {
    comet.disconnect();
    throw error;
  }
}

async function reach(rpc: string): Promise<CometClient> {
  try {
    // Asks the node for its status: an address that is not a CometBFT RPC endpoint fails here.
    return await connectComet(rpc);
  } catch (error) {
    throw new EndpointUnreachableError(rpc, error);
  }
}

async function checked(
  comet: CometClient,
  client: CosmWasmClient,
  { rpc, chainId, escrow }: SibylOptions,
): Promise<Sibyl> {
  const served = await client.getChainId();
  if (served !== chainId) {
    throw new WrongChainError(chainId, served, `the node at ${rpc}`);
  }
  await checkContract(client, escrow, ESCROW_CONTRACT_NAME, "job escrow");
  const escrowQueries = new SibylJobEscrowQueryClient(client, escrow);
  const config = await escrowQueries.config();
  if (config.chain_id !== chainId) {
    throw new WrongChainError(chainId, config.chain_id, `the escrow ${escrow}`);
  }
  const stakingAddress = config.staking_contract;
  await checkContract(client, stakingAddress, STAKING_CONTRACT_NAME, "staking contract");
  const abci = new QueryClient(comet);
  return {
    chainId,
    escrowAddress: escrow,
    stakingAddress,
    client,
    escrow: escrowQueries,
    staking: new SibylStakingQueryClient(client, stakingAddress),
    async queryAt<T>(contract: string, msg: object, height: number): Promise<T> {
      const request = QuerySmartContractStateRequest.encode({
        address: contract,
        queryData: toUtf8(JSON.stringify(msg)),
      }).finish();
      const response = await abci.queryAbci(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        request,
        height,
      );
      return JSON.parse(fromUtf8(QuerySmartContractStateResponse.decode(response.value).data)) as T;
    },
    disconnect: () => client.disconnect(),
  };
}

/** Refuses `address` unless its cw2 contract info names `name`. */
async function checkContract(
  client: CosmWasmClient,
  address: string,
  name: string,
  what: string,
): Promise<void> {
  let raw: Uint8Array | null;
  try {
    raw = await client.queryContractRaw(address, toUtf8("contract_info"));
  } catch (error) {
    throw new WrongContractError(address, what, `there is no contract there (${messageOf(error)})`);
  }
  if (raw === null) {
    throw new WrongContractError(address, what, "the contract there has no cw2 contract info");
  }
  const info = JSON.parse(fromUtf8(raw)) as { contract: string; version: string };
  if (info.contract !== name) {
    throw new WrongContractError(
      address,
      what,
      `it holds ${info.contract} ${info.version}, not ${name}`,
    );
  }
}
