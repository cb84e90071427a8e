import { describe, expect, it } from "vitest";

import type { JobResponse, JobStatus } from "../src/generated/SibylJobEscrow.types.js";
import { JobNotCompletedError, JobTimeoutError, waitForResult } from "../src/wait.js";

function job(status: JobStatus, extra: Partial<JobResponse> = {}): JobResponse {
  return {
    job: {
      job_id: 7,
      consumer: "wasm1consumer",
      model_hash: "ab".repeat(32),
      input_hash: "cd".repeat(32),
      redundancy: 3,
      quorum: 2,
      callback: false,
      price: { denom: "usibyl", amount: "3000" },
      protocol_fee: "150",
      submitted_height: 10,
      commit_deadline: 50,
      reveal_deadline: 90,
      status,
      phase: status === "open" ? "reveal" : null,
      settled_height: status === "open" ? null : 60,
      refund: status === "open" ? null : { denom: "usibyl", amount: "1100" },
    },
    input: { inline: { data: "AA==" } },
    assignments: [],
    commits: 3,
    reveals: 1,
    declines: 1,
    result: status === "completed" ? { output: "AA==", output_hash: "ef".repeat(32) } : null,
    ...extra,
  };
}

/** The escrow's answers to successive job queries (the last one repeats); an Error is thrown. */
function answers(...replies: (JobResponse | Error)[]) {
  let calls = 0;
  return {
    calls: () => calls,
    escrow: {
      job: async ({ jobId }: { jobId: number }) => {
        expect(jobId).toBe(7);
        const reply = replies[Math.min(calls++, replies.length - 1)]!;
        if (reply instanceof Error) {
          throw reply;
        }
        return reply;
      },
    },
  };
}

describe("waitForResult", () => {
  it("polls until the job completes and returns it with its result", async () => {
    const chain = answers(job("open"), job("open"), job("completed"));
    const done = await waitForResult(chain, 7, { pollMs: 1 });
    expect(done.result.output_hash).toBe("ef".repeat(32));
    expect(chain.calls()).toBe(3);
  });

  it("waits out failed queries", async () => {
    const chain = answers(new Error("fetch failed"), job("open"), job("completed"));
    await expect(waitForResult(chain, 7, { pollMs: 1 })).resolves.toMatchObject({
      job: { status: "completed" },
    });
  });

  it("says where the job stands when it times out", async () => {
    const error = await waitForResult(answers(job("open")), 7, { timeoutMs: 30, pollMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect((error as Error).message).toBe(
      "job 7 is still open after 0.03 s (phase reveal: 3 of 3 operators committed, 1 revealed, " +
        "1 declined; reveal deadline at height 90); it may still settle: wait longer, or read it " +
        "later with the job query",
    );
  });

  it("names the last failure when the node stopped answering", async () => {
    const chain = answers(job("open"), new Error("connect ECONNREFUSED 127.0.0.1:26657"));
    await expect(waitForResult(chain, 7, { timeoutMs: 30, pollMs: 5 })).rejects.toThrow(
      /declined; reveal deadline at height 90\); the last query failed: connect ECONNREFUSED/,
    );
  });

  it("throws for a failed job, with its refund", async () => {
    const error = await waitForResult(answers(job("failed")), 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobNotCompletedError);
    expect((error as Error).message).toBe(
      "job 7 failed: no 2 of its 3 operators agreed by the reveal deadline (1 revealed, " +
        "1 declined); 1100usibyl went back to the consumer",
    );
  });

  it("throws for a cancelled job", async () => {
    await expect(waitForResult(answers(job("cancelled")), 7)).rejects.toThrow(
      "job 7 was cancelled; 1100usibyl went back to the consumer",
    );
  });
});
