//! Resident memory of a process, as Linux reports it.

/// `VmRSS` and `VmHWM` (current and peak resident memory, KiB) from a `/proc/<pid>/status` file;
/// `None` where there is no such file (not Linux, process gone).
pub fn process_memory_kib(status_file: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
