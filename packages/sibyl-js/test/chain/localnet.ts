// The local wasmd chain of scripts/localnet.sh, as the Rust localnet harness
// (oracle/tests/localnet/harness.rs) uses it: started in $SIBYL_LOCALNET_HOME when set (CI's
// scripts/test.sh has one running there), else in a directory of its own; the faucet is the
// validator, the first account of the script's public test mnemonic.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, assertIsDeliverTxSuccess } from "@cosmjs/stargate";

export const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));
const script = join(repoRoot, "scripts/localnet.sh");
export const PREFIX = "wasm";

export interface Localnet {
  home: string;
  chainId: string;
  rpc: string;
  grpc: string;
  denom: string;
  gasPrice: string;
}

function home(): string {
  return process.env["SIBYL_LOCALNET_HOME"] ?? join(tmpdir(), "sibyl-localnet-js-tests");
}

async function localnet(command: string): Promise<string> {
  try {
    const { stdout } = await run("bash", [script, command], {
      env: { ...process.env, SIBYL_LOCALNET_HOME: home() },
    });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `scripts/localnet.sh ${command} failed (install wasmd with \`bash scripts/localnet.sh ` +
        `install\`): ${stdout}${stderr}`,
    );
  }
}

/** Whether the chain runs now (`status` exits 3 when it is stopped). */
export async function isRunning(): Promise<boolean> {
  return localnet("status").then(
    () => true,
    () => false,
  );
}

/** Starts the chain (nothing happens if it runs) and reads its settings. */
export async function startLocalnet(): Promise<Localnet> {
  await localnet("start");
  const env = Object.fromEntries(
    (await localnet("env"))
      .split("\n")
      .filter((line) => line.startsWith("export "))
      .map((line) => line.slice("export ".length).split(/=(.*)/s) as [string, string])
      .map(([key, value]) => [key, value.replace(/^'|'$/g, "")]),
  );
  return {
    home: home(),
    chainId: env["LOCALNET_CHAIN_ID"]!,
    rpc: env["LOCALNET_RPC"]!,
    grpc: `http://${env["LOCALNET_GRPC"]!}`,
    denom: env["LOCALNET_DENOM"]!,
    gasPrice: env["LOCALNET_GAS_PRICE"]!,
  };
}

export async function stopLocalnet(): Promise<void> {
  await localnet("stop");
}

/** Sends `amount` of the chain's denom from the faucet to each address, in one transaction. */
export async function fund(chain: Localnet, addresses: string[], amount: bigint): Promise<void> {
  const mnemonic = /^TEST_MNEMONIC="([^"]+)"$/m.exec(readFileSync(script, "utf8"))?.[1];
  if (!mnemonic) {
    throw new Error("scripts/localnet.sh defines no TEST_MNEMONIC");
  }
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: PREFIX });
  const [faucet] = await wallet.getAccounts();
  const client = await SigningCosmWasmClient.connectWithSigner(chain.rpc, wallet, {
    gasPrice: GasPrice.fromString(chain.gasPrice),
  });
  try {
    const messages = addresses.map((toAddress) => ({
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: {
        fromAddress: faucet!.address,
        toAddress,
        amount: [{ denom: chain.denom, amount: amount.toString() }],
      },
    }));
    assertIsDeliverTxSuccess(await client.signAndBroadcast(faucet!.address, messages, "auto"));
  } finally {
    client.disconnect();
  }
}
