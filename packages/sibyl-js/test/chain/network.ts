// A fresh Sibyl deployment on the localnet made with the real `sibyl-oracle` binary, as
// docs/operator-guide.md ("From nothing to a running node on a chain") does it: `deploy`, then
// per operator `keys import`, `init`, funding, `operator register` and `run`.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

import { type Localnet, PREFIX, fund, repoRoot, run } from "./localnet.js";

/** Test keys guard test tokens on a throwaway chain. */
const PASSPHRASE = "sibyl-js localnet test passphrase";
/** Each operator's self-bond. */
const STAKE = 10_000_000n;
const FUNDING = 100_000_000n;

export interface Deployment {
  escrow: string;
  staking: string;
  consumer: string;
  model_hash: string;
}

export interface Account {
  mnemonic: string;
  address: string;
}

export const oracleBin =
  process.env["SIBYL_ORACLE_BIN"] ??
  join(
    process.env["CARGO_TARGET_DIR"] ?? join(homedir(), ".cache/sibyl-target"),
    "debug/sibyl-oracle",
  );

export async function newAccount(): Promise<Account> {
  const wallet = await DirectSecp256k1HdWallet.generate(24, { prefix: PREFIX });
  const [account] = await wallet.getAccounts();
  return { mnemonic: wallet.mnemonic, address: account!.address };
}

export async function oracle(args: string[]): Promise<string> {
  if (!existsSync(oracleBin)) {
    throw new Error(
      `no sibyl-oracle binary at ${oracleBin}: build it with \`cargo build -p sibyl-oracle\` ` +
        `or set SIBYL_ORACLE_BIN`,
    );
  }
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, SIBYL_KEY_PASSPHRASE: PASSPHRASE };
    delete env["SIBYL_CHAIN_RPC"];
    delete env["SIBYL_CHAIN_GRPC"];
    return (await run(oracleBin, args, { env })).stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`sibyl-oracle ${args[0]} ${args[1] ?? ""} failed: ${stdout}${stderr}`);
  }
}

/** Writes `account`'s key file (its mnemonic imported) at `keyFile`. */
async function importKey(dir: string, keyFile: string, account: Account): Promise<void> {
  const mnemonicFile = join(dir, `${account.address}.mnemonic`);
  writeFileSync(mnemonicFile, account.mnemonic, { mode: 0o600 });
  await oracle([
    "keys",
    "import",
    "--key-file",
    keyFile,
    "--mnemonic-file",
    mnemonicFile,
    "--bech32-prefix",
    PREFIX,
  ]);
}

/**
 * Deploys the contracts as `admin` (funded already) with `window` blocks per job window and the
 * `DeployParams` fields in `params`.
 */
export async function deploy(
  chain: Localnet,
  dir: string,
  admin: Account,
  window: number,
  params: Record<string, number> = {},
): Promise<Deployment> {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "admin.key");
  await importKey(dir, keyFile, admin);
  const paramsFile = join(dir, "params.toml");
  writeFileSync(
    paramsFile,
    Object.entries(params)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(""),
  );
  const out = join(dir, "deployment.json");
  await oracle([
    "deploy",
    ...chainArgs(chain),
    "--gas-price",
    chain.gasPrice,
    "--key-file",
    keyFile,
    "--wasm-dir",
    process.env["SIBYL_ARTIFACTS_DIR"] ?? join(repoRoot, "artifacts"),
    "--model",
    join(repoRoot, "models/digits/digits.sibylmodel"),
    "--params",
    paramsFile,
    "--window-blocks",
    String(window),
    "--out",
    out,
  ]);
  return JSON.parse(readFileSync(out, "utf8")) as Deployment;
}

export class Operator {
  private process: ChildProcess | undefined;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly address: string,
  ) {}

  /** `keys import`, `init` with the test's node settings, funding, `operator register`. */
  static async create(chain: Localnet, deploymentDir: string, name: string): Promise<Operator> {
    const dir = join(deploymentDir, name);
    mkdirSync(dir, { recursive: true });
    const account = await newAccount();
    await importKey(dir, join(dir, "sibyl-oracle.key"), account);
    const config = join(dir, "sibyl-oracle.toml");
    await oracle([
      "init",
      "--config",
      config,
      "--deployment",
      join(deploymentDir, "deployment.json"),
      ...chainArgs(chain),
    ]);
    editConfig(config, [
      ['backend = "auto"', 'backend = "cpu"'],
      [/^poll_interval = \d+$/m, "poll_interval = 100"],
      ["file_roots = []", `file_roots = [${JSON.stringify(join(repoRoot, "models/digits"))}]`],
    ]);
    await fund(chain, [account.address], FUNDING);
    const operator = new Operator(name, dir, account.address);
    await oracle([
      "operator",
      "register",
      "--config",
      config,
      "--moniker",
      name,
      "--stake",
      STAKE.toString(),
    ]);
    return operator;
  }

  /** Starts `sibyl-oracle run`; its log goes to node.log in its directory. */
  start(): void {
    const log = openSync(join(this.dir, "node.log"), "a");
    this.process = spawn(
      oracleBin,
      [
        "run",
        "--config",
        join(this.dir, "sibyl-oracle.toml"),
        "--log-filter",
        "info,sibyl_oracle=debug",
      ],
      {
        env: { ...process.env, SIBYL_KEY_PASSPHRASE: PASSPHRASE },
        stdio: ["ignore", "ignore", log],
      },
    );
    // The child has its own copy of the descriptor.
    closeSync(log);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const killed = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killed);
  }
}

function chainArgs(chain: Localnet): string[] {
  return ["--chain-id", chain.chainId, "--rpc", chain.rpc, "--grpc", chain.grpc];
}

/** Replaces each pattern, which must occur in the config file `init` wrote. */
function editConfig(path: string, edits: [string | RegExp, string][]): void {
  let text = readFileSync(path, "utf8");
  for (const [pattern, replacement] of edits) {
    if (!(typeof pattern === "string" ? text.includes(pattern) : pattern.test(text))) {
      throw new Error(`${path} has no ${String(pattern)}: did the config template change?`);
    }
    text = text.replace(pattern, replacement);
  }
  writeFileSync(path, text);
}
