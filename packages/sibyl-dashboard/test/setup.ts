// vitest globalSetup of the browser test: a fresh deployment on the localnet with three operators
// registered and running `sibyl-oracle run` (k = 3, m = 2 jobs of the digits model), made with the
// real `sibyl-oracle` by sibyl-js's chain-test fixture, and the page served for it by
// scripts/dashboard.sh with the dev wallet.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { TestProject } from "vitest/node";

import {
  fund,
  isRunning,
  repoRoot,
  startLocalnet,
  stopLocalnet,
} from "../../sibyl-js/test/chain/localnet.js";
import { Operator, deploy, newAccount } from "../../sibyl-js/test/chain/network.js";

const FUNDING = 1_000_000_000n;
const PORT = Number(process.env["SIBYL_DASHBOARD_PORT"] ?? 4273);

export interface DashboardContext {
  url: string;
  chainId: string;
  modelHash: string;
  operators: { moniker: string; address: string }[];
}

declare module "vitest" {
  export interface ProvidedContext {
    dashboard: DashboardContext;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedHere = !(await isRunning());
  const chain = await startLocalnet();
  const dir = mkdtempSync(join(tmpdir(), "sibyl-dashboard-test-"));
  let server: ChildProcess | undefined;
  const running: Operator[] = [];
  const teardown = async () => {
    await Promise.all(running.map((operator) => operator.stop()));
    if (server?.pid !== undefined && server.exitCode === null) {
      // dashboard.sh's server runs under npx: stop the whole process group it leads.
      process.kill(-server.pid, "SIGTERM");
    }
    if (startedHere) {
      await stopLocalnet();
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = await newAccount();
    await fund(chain, [admin.address], FUNDING);
    const deploymentDir = join(dir, "deployment");
    const deployment = await deploy(chain, deploymentDir, admin, 60);
    const operators = [];
    for (const moniker of ["op-alpha", "op-beta", "op-gamma"]) {
      const operator = await Operator.create(chain, deploymentDir, moniker);
      operators.push({ moniker, address: operator.address });
      running.push(operator);
    }
    for (const operator of running) {
      operator.start();
    }
    server = spawn(
      "bash",
      [
        join(repoRoot, "scripts/dashboard.sh"),
        "--deployment",
        join(deploymentDir, "deployment.json"),
        "--rpc",
        chain.rpc,
        "--port",
        String(PORT),
        "--dev-wallet",
      ],
      { detached: true, stdio: ["ignore", "inherit", "inherit"] },
    );
    const url = `http://127.0.0.1:${PORT}/`;
    await served(url, server);
    project.provide("dashboard", {
      url,
      chainId: chain.chainId,
      modelHash: deployment.model_hash,
      operators,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Waits until `url` answers, or fails when the server exits first. */
async function served(url: string, server: ChildProcess): Promise<void> {
  for (;;) {
    if (server.exitCode !== null) {
      throw new Error(`scripts/dashboard.sh exited with ${server.exitCode}`);
    }
    const response = await fetch(url).catch(() => undefined);
    if (response?.ok) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
