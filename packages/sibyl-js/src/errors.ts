// Errors a dApp can show to its user as they are: each says what went wrong and what to do.

/** Every error this client raises on purpose. */
export class SibylError extends Error {
  override name = "SibylError";
}

/** The RPC endpoint did not answer as a CometBFT node. */
export class EndpointUnreachableError extends SibylError {
  override name = "EndpointUnreachableError";
  constructor(
    readonly rpc: string,
    cause: unknown,
  ) {
    super(
      `cannot reach a chain node at ${rpc} (${messageOf(cause)}); check the address and that ` +
        `the node is running`,
      { cause },
    );
  }
}

/** The node serves another chain than the one the dApp was configured for. */
export class WrongChainError extends SibylError {
  override name = "WrongChainError";
  constructor(
    readonly expected: string,
    readonly actual: string,
    where: string,
  ) {
    super(
      `${where} is on chain "${actual}", not "${expected}"; check the chain id and the endpoint`,
    );
  }
}

/** An address that does not hold the Sibyl contract the dApp expects there. */
export class WrongContractError extends SibylError {
  override name = "WrongContractError";
  constructor(
    readonly address: string,
    readonly expected: string,
    found: string,
  ) {
    super(`${address} is not Sibyl's ${expected}: ${found}; check the contract address`);
  }
}

/** The chain refused a transaction; it was not applied (see `reason`). */
export class TransactionRejectedError extends SibylError {
  override name = "TransactionRejectedError";
  constructor(
    readonly action: string,
    readonly reason: string,
    cause: unknown,
  ) {
    super(`${action} was refused: ${reason}`, { cause });
  }
}

/** A query the node or the contract could not answer. */
export class QueryFailedError extends SibylError {
  override name = "QueryFailedError";
  constructor(
    readonly what: string,
    readonly reason: string,
    cause: unknown,
  ) {
    super(`could not read ${what}: ${reason}`, { cause });
  }
}

/**
 * A transaction was broadcast but not seen in a block in time. It may still land: it is not sent
 * again, and the dApp should look it up by hash before trying anew.
 */
export class TransactionUnconfirmedError extends SibylError {
  override name = "TransactionUnconfirmedError";
  constructor(
    readonly action: string,
    readonly transactionHash: string,
    cause: unknown,
  ) {
    super(
      `${action}: transaction ${transactionHash} was sent but is not in a block yet; it was not ` +
        `sent again; look it up by its hash before you try again`,
      { cause },
    );
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
