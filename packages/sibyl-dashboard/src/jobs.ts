// The holder's recent jobs (as requester): status, assigned operators, the agreed output, and
// whether it verifies locally with sibyl-js (output hash, digest, each agreeing operator's
// signature against its attestation key).
import { type Sibyl, type escrowTypes, messageOf, verifyJob } from "sibyl-js";

import { cell, element, row } from "./dom.js";

/** How many of the newest jobs are shown. */
const SHOWN = 10;
/** The escrow's cap on a page of `jobs`. */
const PAGE = 30;

export interface JobView {
  job: escrowTypes.JobResponse;
  /** The decoded output, or why it does not verify; none before the job completes. */
  verification?: { output: string; signers: string[] } | { problem: string };
}

export async function fetchJobs(sibyl: Sibyl, consumer: string): Promise<JobView[]> {
  // The query lists jobs in ascending id order: read to the end, keep the newest.
  const ids: number[] = [];
  for (;;) {
    const { jobs } = await sibyl.escrow.jobs({
      filter: { consumer: { address: consumer } },
      limit: PAGE,
      startAfter: ids.at(-1),
    });
    ids.push(...jobs.map((job) => job.job_id));
    if (jobs.length < PAGE) {
      break;
    }
  }
  const newest = ids.slice(-SHOWN).reverse();
  return Promise.all(newest.map((jobId) => view(sibyl, jobId)));
}

async function view(sibyl: Sibyl, jobId: number): Promise<JobView> {
  const job = await sibyl.escrow.job({ jobId });
  if (job.job.status !== "completed") {
    return { job };
  }
  try {
    const verified = await verifyJob(sibyl, jobId);
    return {
      job,
      verification: {
        output: Array.from(verified.tensor.values).join(", "),
        signers: verified.signers,
      },
    };
  } catch (error) {
    return { job, verification: { problem: messageOf(error) } };
  }
}

export function renderJobs(jobs: JobView[], monikers: Map<string, string>): void {
  const name = (address: string) => monikers.get(address) ?? address;
  element("#jobs tbody").replaceChildren(
    ...jobs.map(({ job, verification }) =>
      row([
        cell("id", String(job.job.job_id)),
        cell("model", `${job.job.model_hash.slice(0, 12)}…`),
        cell("status", job.job.status),
        cell("operators", job.assignments.map((a) => name(a.operator)).join(", ")),
        cell("output", verification && "output" in verification ? verification.output : ""),
        cell(
          "verification",
          verification === undefined
            ? ""
            : "problem" in verification
              ? verification.problem
              : `verified: signed by ${verification.signers.map(name).join(", ")}`,
        ),
      ]),
    ),
  );
}
