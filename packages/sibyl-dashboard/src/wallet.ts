// The token holder's signer: on the localnet a dev wallet from the test mnemonic; elsewhere
// Keplr's offline signer, or none (the page only reads).
import { DirectSecp256k1HdWallet, type OfflineSigner } from "@cosmjs/proto-signing";

import type { DashboardConfig } from "./config.js";

interface Keplr {
  enable(chainId: string): Promise<void>;
  getOfflineSigner(chainId: string): OfflineSigner;
}

declare global {
  interface Window {
    keplr?: Keplr;
  }
}

export async function findSigner(config: DashboardConfig): Promise<OfflineSigner | undefined> {
  if (config.devMnemonic) {
    return DirectSecp256k1HdWallet.fromMnemonic(config.devMnemonic, {
      prefix: config.bech32Prefix,
    });
  }
  const keplr = window.keplr;
  if (!keplr) {
    return undefined;
  }
  await keplr.enable(config.chainId);
  return keplr.getOfflineSigner(config.chainId);
}
