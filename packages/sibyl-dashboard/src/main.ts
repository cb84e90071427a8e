// Connects to the configured deployment, shows it, and runs the holder's staking actions one at
// a time: while a transaction is in flight every action button is disabled, so nothing is sent
// twice.
import {
  type Sibyl,
  type SigningSibyl,
  claim,
  connect,
  connectWithSigner,
  delegate,
  undelegate,
  withdrawRewards,
} from "sibyl-js";

import { type DashboardConfig, loadConfig } from "./config.js";
import { element } from "./dom.js";
import { tokens } from "./format.js";
import { fetchHolding, renderHolding } from "./holder.js";
import { fetchJobs, renderJobs } from "./jobs.js";
import { fetchOperators, renderOperators } from "./operators.js";
import "./style.css";
import { SAMPLE_DIGIT, defaultModel, parseHex, submitAndWait } from "./submit.js";
import { findSigner } from "./wallet.js";

function show(selector: "#error" | "#notice", text: string | undefined): void {
  const box = element(selector);
  box.textContent = text ?? "";
  box.hidden = text === undefined;
}

function explain(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function open(config: DashboardConfig): Promise<Sibyl | SigningSibyl> {
  const options = { rpc: config.rpc, chainId: config.chainId, escrow: config.escrow };
  const signer = await findSigner(config);
  return signer ? connectWithSigner(options, signer, config.gasPrice) : connect(options);
}

async function start(): Promise<void> {
  const config = await loadConfig();
  const sibyl = await open(config);
  const { bond_denom: denom } = await sibyl.staking.config();
  element("#chain").textContent =
    `Chain ${sibyl.chainId}, staking contract ${sibyl.stakingAddress}`;
  const signing = "sender" in sibyl ? sibyl : undefined;
  let monikers = new Map<string, string>();

  const refresh = async () => {
    const operators = await fetchOperators(sibyl);
    renderOperators(operators, denom);
    if (signing) {
      monikers = new Map(operators.map((o) => [o.address, o.moniker]));
      renderHolding(signing, await fetchHolding(signing, denom), denom, monikers, (operator) =>
        act(
          () => withdrawRewards(signing, operator),
          (r) => `Withdrew ${tokens(r.rewards, denom)}.`,
        ),
      );
      renderJobs(await fetchJobs(signing, signing.sender), monikers);
      element("#holder").hidden = false;
    }
  };

  const act = async <T>(send: () => Promise<T>, done: (result: T) => string) => {
    const buttons = document.querySelectorAll<HTMLButtonElement>("#holder button");
    buttons.forEach((button) => (button.disabled = true));
    show("#error", undefined);
    show("#notice", "Sending the transaction…");
    try {
      show("#notice", done(await send()));
    } catch (error) {
      show("#notice", undefined);
      show("#error", explain(error));
    } finally {
      buttons.forEach((button) => (button.disabled = false));
      await refresh().catch((error: unknown) => show("#error", explain(error)));
    }
  };

  if (signing) {
    const form = element<HTMLFormElement>("#stake-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const operator = String(data.get("operator"));
      const amount = String(data.get("amount"));
      const action = (event.submitter as HTMLButtonElement | null)?.value;
      if (action === "undelegate") {
        void act(
          () => undelegate(signing, operator, amount),
          () => `Undelegated ${tokens(amount, denom)}; it is paid out when the entry matures.`,
        );
      } else {
        void act(
          () => delegate(signing, operator, amount),
          () => `Delegated ${tokens(amount, denom)}.`,
        );
      }
    });
    element("#claim").addEventListener("click", () =>
      act(
        () => claim(signing),
        (r) => `Claimed ${tokens(r.amount, denom)}.`,
      ),
    );

    const jobForm = element<HTMLFormElement>("#job-form");
    const model = jobForm.elements.namedItem("model") as HTMLInputElement;
    const input = jobForm.elements.namedItem("input") as HTMLTextAreaElement;
    model.value = await defaultModel(signing, config.modelHash);
    element("#sample-digit").addEventListener("click", () => (input.value = SAMPLE_DIGIT));
    jobForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const modelHash = model.value.trim().replace(/^0x/i, "").toLowerCase();
      void act(
        async () => {
          const bytes = parseHex(input.value);
          // The whole submission, waiting included, is one action: nothing else is sent meanwhile.
          return submitAndWait(signing, modelHash, bytes, async (job, paid) => {
            element("#submitted-job").textContent = String(job.jobId);
            show("#notice", `Submitted job ${job.jobId} (paid ${paid}); waiting for it to settle…`);
            renderJobs(await fetchJobs(signing, signing.sender), monikers);
          });
        },
        (job) => `Job ${job.job.job_id} completed; its result is checked in the list below.`,
      );
    });
  }
  await refresh();
}

start().catch((error: unknown) => {
  element("#chain").textContent = "Not connected.";
  show("#error", explain(error));
});
