// How the page writes amounts, times and rates.

/** An amount of the smallest unit with its denom, digits grouped: `10 000 000 usibyl`. */
export function tokens(amount: string, denom: string): string {
  return `${amount.replace(/\B(?=(\d{3})+(?!\d))/g, " ")} ${denom}`;
}

/** A contract timestamp (nanoseconds since the epoch) in the reader's time zone. */
export function time(nanos: string): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toLocaleString();
}

/** A `Decimal` string as a percentage: `0.05` → `5%`. */
export function percent(decimal: string): string {
  return `${Number((Number(decimal) * 100).toFixed(4))}%`;
}

/** `part / whole` as a percentage with one decimal, rounded down; 0 when `whole` is 0. */
export function share(part: bigint, whole: bigint): number {
  return whole === 0n ? 0 : Number((part * 1000n) / whole) / 10;
}
