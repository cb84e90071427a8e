// Generates src/generated/ (types and CosmJS clients) from the committed contract schemas with
// @cosmwasm/ts-codegen.
//   node scripts/codegen.js          write src/generated/
//   node scripts/codegen.js --check  fail if the committed src/generated/ is stale
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import codegenModule from "@cosmwasm/ts-codegen";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const schemaDir = join(packageDir, "../../schema");
const generatedDir = join(packageDir, "src/generated");
const contracts = [
  { name: "SibylJobEscrow", dir: join(schemaDir, "job-escrow") },
  { name: "SibylStaking", dir: join(schemaDir, "staking") },
  { name: "SibylExampleConsumer", dir: join(schemaDir, "example-consumer") },
];

async function generate(outPath) {
  await codegenModule.default({
    contracts,
    outPath,
    options: {
      bundle: { enabled: false },
      types: { enabled: true },
      // Our tsconfig has noImplicitOverride.
      client: { enabled: true, noImplicitOverride: true },
    },
  });
  // ts-codegen writes extensionless relative imports, which Node's ESM loader cannot resolve.
  for (const file of readdirSync(outPath)) {
    const path = join(outPath, file);
    const source = readFileSync(path, "utf8");
    writeFileSync(path, source.replace(/from "(\.\/[^"]+)"/g, 'from "$1.js"'));
  }
}

function contents(dir) {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

if (process.argv[2] === "--check") {
  const fresh = mkdtempSync(join(tmpdir(), "sibyl-js-codegen-"));
  try {
    await generate(fresh);
    const want = contents(fresh);
    const have = contents(generatedDir);
    const stale = [...new Set([...Object.keys(want), ...Object.keys(have)])].filter(
      (file) => want[file] !== have[file],
    );
    if (stale.length > 0) {
      console.error(
        `src/generated is stale (${stale.join(", ")}): run \`npm run codegen\` and commit the result`,
      );
      process.exit(1);
    }
    console.log("codegen: src/generated is up to date");
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
} else {
  rmSync(generatedDir, { recursive: true, force: true });
  await generate(generatedDir);
  console.log(`codegen: wrote ${readdirSync(generatedDir).length} files to src/generated`);
}
