use cosmwasm_std::{Addr, Binary};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::msg::{ConfigResponse, RequestStatus};

pub const CONFIG: Item<ConfigResponse> = Item::new("config");
/// Requests by escrow job id.
pub const REQUESTS: Map<u64, Request> = Map::new("requests");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Request {
    pub requester: Addr,
    pub status: RequestStatus,
    pub output: Option<Binary>,
}
