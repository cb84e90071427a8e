// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the
// localnet deployment of setup.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { repoRoot } from "../../sibyl-js/test/chain/localnet.js";

const { url, chainId, modelHash, operators } = inject("dashboard");
/** Each operator's self-bond in sibyl-js's fixture (network.ts). */
const SELF_BOND = "10 000 000 usibyl";
/** The page connects and reads the chain after it loads, and again after each transaction. */
const POLL = { timeout: 15_000 };
/** A job of the digits model settles within a few blocks of the operators' commit and reveal. */
const SETTLE_MS = 90_000;

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env["SIBYL_CHROMIUM"] ?? "/usr/bin/chromium",
  });
});

afterAll(async () => {
  await browser?.close();
});

async function open(query = ""): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${url}${query}`);
  return page;
}

function operatorRow(page: Page, moniker: string) {
  return page.locator("#operators tbody tr", {
    has: page.locator(`td[data-field=moniker]`, { hasText: moniker }),
  });
}

describe("the dashboard", () => {
  it("lists the deployed operators", async () => {
    const page = await open();
    const rows = page.locator("#operators tbody tr");
    await expect.poll(() => rows.count(), POLL).toBe(operators.length);
    for (const { moniker, address } of operators) {
      const row = operatorRow(page, moniker);
      expect(await row.locator("td[data-field=address]").textContent()).toBe(address);
      expect(await row.locator("td[data-field=self-bond]").textContent()).toBe(SELF_BOND);
      expect(await row.locator("td[data-field=total-stake]").textContent()).toBe(SELF_BOND);
    }
    await page.close();
  });

  it("delegates from the dev wallet and shows the new stake", async () => {
    const page = await open();
    const [first] = operators;
    const row = operatorRow(page, first!.moniker);
    await expect
      .poll(() => row.locator("td[data-field=total-stake]").textContent(), POLL)
      .toBe(SELF_BOND);
    await page.selectOption("#stake-form select", first!.address);
    await page.fill("#stake-form input[name=amount]", "2500000");
    await page.click("#stake-form button[value=delegate]");
    await page.locator("#notice", { hasText: "Delegated 2 500 000 usibyl." }).waitFor();
    await expect
      .poll(() => row.locator("td[data-field=total-stake]").textContent(), POLL)
      .toBe("12 500 000 usibyl");
    const delegation = page.locator("#delegations tbody tr", { hasText: first!.moniker });
    expect(await delegation.locator("td[data-field=amount]").textContent()).toBe(
      "2 500 000 usibyl",
    );
    await page.close();
  });

  it("says when a transaction is refused", async () => {
    const page = await open();
    const [, second] = operators;
    await operatorRow(page, second!.moniker).waitFor();
    await page.selectOption("#stake-form select", second!.address);
    await page.fill("#stake-form input[name=amount]", "1");
    await page.click("#stake-form button[value=undelegate]");
    const error = await page.locator("#error").filter({ hasText: "was refused" }).textContent();
    expect(error).toContain(`undelegating 1 from ${second!.address} was refused`);
    await page.close();
  });

  it("says when the node serves another chain", async () => {
    const page = await open("?chainId=not-this-chain");
    const error = await page.locator("#error").filter({ hasText: "not-this-chain" }).textContent();
    expect(error).toContain(`is on chain "${chainId}", not "not-this-chain"`);
    await page.close();
  });

  it("submits a job from the page and shows it settled and verified", async () => {
    const page = await open();
    await page.locator("#holder").waitFor();
    // The form starts with the deployment's model; the dev wallet has submitted no job yet.
    await expect.poll(() => page.inputValue("#job-form input[name=model]"), POLL).toBe(modelHash);
    expect(await page.locator("#jobs tbody tr").count()).toBe(0);
    expect(await page.textContent("#submitted-job")).toBe("none yet");

    await page.click("#sample-digit");
    const image = readFileSync(join(repoRoot, "models/digits/test_inputs.bin")).subarray(0, 64);
    expect(await page.inputValue("#job-form textarea[name=input]")).toBe(image.toString("hex"));
    const label = readFileSync(join(repoRoot, "models/digits/test_labels.bin"))[0]!;
    await page.click("#job-form button[type=submit]");
    // The holder's buttons are disabled until the job settles: one action at a time.
    await expect.poll(() => page.isDisabled("#sample-digit"), POLL).toBe(true);

    await expect.poll(() => page.textContent("#submitted-job"), POLL).toMatch(/^\d+$/);
    const jobId = await page.textContent("#submitted-job");
    await page
      .locator("#notice", { hasText: `Job ${jobId} completed` })
      .waitFor({ timeout: SETTLE_MS });
    await expect.poll(() => page.isDisabled("#sample-digit"), POLL).toBe(false);
    const job = page.locator("#jobs tbody tr", {
      has: page.locator("td[data-field=id]", { hasText: new RegExp(`^${jobId}$`) }),
    });
    await expect
      .poll(() => job.locator("td[data-field=verification]").textContent(), POLL)
      .toMatch(/^verified: signed by op-(alpha|beta|gamma), op-(alpha|beta|gamma)/);
    expect(await job.locator("td[data-field=status]").textContent()).toBe("completed");
    expect(await job.locator("td[data-field=output]").textContent()).toBe(String(label));
    expect(await page.locator("#jobs tbody tr").count()).toBe(1);
    expect(await page.locator("#error").isHidden()).toBe(true);
    const screenshot = process.env["SIBYL_DASHBOARD_SCREENSHOT"];
    if (screenshot) {
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    await page.close();
  });
});
