//! Writes the contract's JSON schema into the directory given as the first argument (default
//! `schema/job-escrow`): `cargo run -p sibyl-job-escrow --bin job-escrow-schema -- schema/job-escrow`.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use cosmwasm_schema::generate_api;
use sibyl_api::escrow::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "schema/job-escrow".to_string()),
    );
    let api = generate_api! {
        name: "sibyl-job-escrow",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
    .render();
    let raw_dir = out_dir.join("raw");
    if raw_dir.exists() {
        fs::remove_dir_all(&raw_dir)?;
    }
    fs::create_dir_all(&raw_dir)?;
    fs::write(
        out_dir.join("sibyl-job-escrow.json"),
        api.to_string()? + "\n",
    )?;
    for (file, json) in api.to_schema_files()? {
        fs::write(raw_dir.join(file), json + "\n")?;
    }
    println!("schema written to {}", out_dir.display());
    Ok(())
}
