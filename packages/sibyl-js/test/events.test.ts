import type { Event } from "@cosmjs/cosmwasm-stargate";
import { describe, expect, it } from "vitest";

import { contractEvent, contractEvents } from "../src/events.js";

const escrow = "wasm1escrow";
const attr = (key: string, value: string) => ({ key, value });
// The shape wasmd gives a submit_job transaction's events (abridged).
const events: Event[] = [
  { type: "message", attributes: [attr("action", "/cosmwasm.wasm.v1.MsgExecuteContract")] },
  { type: "execute", attributes: [attr("_contract_address", escrow)] },
  {
    type: "wasm-sibyl_submit",
    attributes: [attr("_contract_address", escrow), attr("job_id", "7"), attr("price", "3000")],
  },
  {
    type: "wasm-sibyl_submit",
    attributes: [attr("_contract_address", "wasm1impostor"), attr("job_id", "99")],
  },
  {
    type: "wasm-sibyl_assign",
    attributes: [attr("_contract_address", escrow), attr("job_id", "7")],
  },
];

describe("contract events", () => {
  it("reads the typed event of the given contract only", () => {
    expect(contractEvent(events, "sibyl_submit", escrow)).toEqual({
      _contract_address: escrow,
      job_id: "7",
      price: "3000",
    });
    expect(contractEvents(events, "sibyl_submit", "wasm1impostor")).toHaveLength(1);
  });

  it("refuses a transaction without exactly one such event", () => {
    expect(() => contractEvent(events, "sibyl_settle", escrow)).toThrow(
      "expected one sibyl_settle event from wasm1escrow, found 0",
    );
    expect(() => contractEvent([...events, events[2]!], "sibyl_submit", escrow)).toThrow("found 2");
  });
});
