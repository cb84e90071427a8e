// Reads a contract's typed events (packages/sibyl-api, `typed_event!`) from a transaction's
// events: wasmd prefixes their types with `wasm-` and adds the emitting contract as
// `_contract_address`, which tells Sibyl's events from another contract's of the same type.
import type { Event } from "@cosmjs/cosmwasm-stargate";

/** The attributes of every `type` event that `contract` emitted, in order. */
export function contractEvents(
  events: readonly Event[],
  type: string,
  contract: string,
): Record<string, string>[] {
  return events
    .filter((event) => event.type === `wasm-${type}`)
    .map((event) => Object.fromEntries(event.attributes.map(({ key, value }) => [key, value])))
    .filter((attributes) => attributes["_contract_address"] === contract);
}

/** The one `type` event of `contract` in a transaction that sent it one message. */
export function contractEvent(
  events: readonly Event[],
  type: string,
  contract: string,
): Record<string, string> {
  const found = contractEvents(events, type, contract);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} event from ${contract}, found ${found.length}`);
  }
  return found[0]!;
}
