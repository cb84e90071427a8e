// Which chain and deployment the page shows: config.json next to the page (scripts/dashboard.sh
// writes it from `sibyl-oracle deploy`'s deployment file), then the URL's query parameters
// (?rpc=…&chainId=…&escrow=…&modelHash=…) on top.

export interface DashboardConfig {
  /** CometBFT RPC endpoint; a path such as `/rpc` is on the page's own origin. */
  rpc: string;
  chainId: string;
  escrow: string;
  /** Fee per unit of gas, e.g. `0.025usibyl`. */
  gasPrice: string;
  bech32Prefix: string;
  /** The model the "Submit a job" form starts with; else the escrow's first active model. */
  modelHash?: string;
  /** Localnet only: the public test mnemonic, whose first account the page signs with. */
  devMnemonic?: string;
}

const FROM_URL = ["rpc", "chainId", "escrow", "gasPrice", "bech32Prefix"] as const;

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch("config.json").catch(() => undefined);
  const file = response?.ok ? ((await response.json()) as Partial<DashboardConfig>) : {};
  const query = new URLSearchParams(window.location.search);
  const config: Partial<DashboardConfig> = { ...file };
  for (const key of FROM_URL) {
    const value = query.get(key);
    if (value) {
      config[key] = value;
    }
  }
  const modelHash = query.get("modelHash");
  if (modelHash) {
    config.modelHash = modelHash;
  }
  const missing = FROM_URL.filter((key) => !config[key]);
  if (missing.length > 0) {
    throw new Error(
      `the dashboard does not know the chain's ${missing.join(", ")}: serve it with ` +
        `scripts/dashboard.sh, or give them in the address (?${missing[0]}=…)`,
    );
  }
  return { ...(config as DashboardConfig), rpc: new URL(config.rpc!, window.location.href).href };
}
