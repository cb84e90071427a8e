// vitest globalSetup of the chain tests: two fresh deployments on the localnet, made once for
// all test files. "jobs": three running operators serve k = 3, m = 2 jobs of the digits model.
// "staking": one registered operator (not running) and an unbonding period of 5 s, so that a
// claim can be tested; its job windows are 1 block to fit the escrow's bound on windows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { TestProject } from "vitest/node";

import type { ChainContext } from "./context.js";
import { fund, isRunning, startLocalnet, stopLocalnet } from "./localnet.js";
import { Operator, deploy, newAccount } from "./network.js";

const FUNDING = 1_000_000_000n;
/** Too little for a job's price: the insufficient-funds case. */
const POOR_FUNDING = 1_000n;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedHere = !(await isRunning());
  const chain = await startLocalnet();
  const dir = mkdtempSync(join(tmpdir(), "sibyl-js-chain-tests-"));
  const operators: Operator[] = [];
  const teardown = async () => {
    await Promise.all(operators.map((operator) => operator.stop()));
    if (startedHere) {
      await stopLocalnet();
    }
    if (process.env["SIBYL_KEEP_TEST_DIRS"]) {
      console.log(`chain test files in ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const [admin, consumer, delegator, poor] = await Promise.all(
      [1, 2, 3, 4].map(() => newAccount()),
    );
    await fund(chain, [admin!.address, consumer!.address, delegator!.address], FUNDING);
    await fund(chain, [poor!.address], POOR_FUNDING);

    const jobs = await deploy(chain, join(dir, "jobs"), admin!, 60);
    for (const name of ["op1", "op2", "op3"]) {
      operators.push(await Operator.create(chain, join(dir, "jobs"), name));
    }
    const staking = await deploy(chain, join(dir, "staking"), admin!, 1, { unbonding_period: 5 });
    const stakingOperator = await Operator.create(chain, join(dir, "staking"), "op4");
    for (const operator of operators) {
      operator.start();
    }
    const context: ChainContext = {
      chain,
      jobs: { ...jobs, operators: operators.map((operator) => operator.address) },
      staking: { ...staking, operators: [stakingOperator.address] },
      consumer: consumer!,
      delegator: delegator!,
      poor: poor!,
    };
    project.provide("chain", context);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
