// Waits for a job to settle by polling the escrow's `job` query: one query per poll, whatever the
// chain's block time, and the node's transient failures are waited out until the deadline.
import { SibylError, messageOf } from "./errors.js";
import type { SibylJobEscrowQueryClient } from "./generated/SibylJobEscrow.client.js";
import type { JobResponse, JobResult } from "./generated/SibylJobEscrow.types.js";

export interface WaitOptions {
  /**
   * Give up after this long (default 120 s). Jobs settle once their operators have revealed, at
   * the latest soon after their reveal deadline: a height the job query shows.
   */
  timeoutMs?: number;
  /** Time between two job queries (default 1 s). */
  pollMs?: number;
}

/** A completed job: a quorum agreed on `result`. */
export type CompletedJob = JobResponse & { result: JobResult };

/** The job was still open at the deadline. */
export class JobTimeoutError extends SibylError {
  override name = "JobTimeoutError";
  constructor(
    readonly jobId: number,
    readonly timeoutMs: number,
    readonly last: JobResponse | undefined,
    lastError: unknown,
  ) {
    const state = last
      ? ` (phase ${last.job.phase}: ${last.commits} of ${last.job.redundancy} operators committed, ` +
        `${last.reveals} revealed, ${last.declines} declined; reveal deadline at height ` +
        `${last.job.reveal_deadline})`
      : "";
    const failure =
      lastError === undefined ? "" : `; the last query failed: ${messageOf(lastError)}`;
    super(
      `job ${jobId} is still open after ${timeoutMs / 1000} s${state}${failure}; ` +
        `it may still settle: wait longer, or read it later with the job query`,
    );
  }
}

/** The job ended without a result: it failed (no quorum) or was cancelled. */
export class JobNotCompletedError extends SibylError {
  override name = "JobNotCompletedError";
  constructor(readonly job: JobResponse) {
    const { job_id, status, quorum, redundancy, refund } = job.job;
    const refunded = refund ? `; ${refund.amount}${refund.denom} went back to the consumer` : "";
    const why =
      status === "failed"
        ? `failed: no ${quorum} of its ${redundancy} operators agreed by the reveal deadline ` +
          `(${job.reveals} revealed, ${job.declines} declined)`
        : `was ${status}`;
    super(`job ${job_id} ${why}${refunded}`);
  }
}

/** Polls until job `jobId` settles; returns it when it completed, throws otherwise. */
export async function waitForResult(
  sibyl: { escrow: Pick<SibylJobEscrowQueryClient, "job"> },
  jobId: number,
  { timeoutMs = 120_000, pollMs = 1_000 }: WaitOptions = {},
): Promise<CompletedJob> {
  const deadline = Date.now() + timeoutMs;
  let last: JobResponse | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await sibyl.escrow.job({ jobId });
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (last && last.job.status !== "open") {
      if (last.job.status === "completed" && last.result) {
        return { ...last, result: last.result };
      }
      throw new JobNotCompletedError(last);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new JobTimeoutError(jobId, timeoutMs, last, lastError);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
