//! Checks of record types for the contracts' unit tests (feature `testing`).

use std::fmt::Debug;

use crate::Record;

/// Asserts that `record` is written in the version it names and decodes back to itself, and that
/// every truncation of its bytes, a trailing byte and a version outside
/// `OLDEST_VERSION..=VERSION` are refused. Returns the length of its bytes.
pub fn assert_round_trip<T: Record + PartialEq + Debug>(record: &T) -> usize {
    let name = T::NAME;
    let bytes = record.encode();
    let version = record.version();
    assert_eq!(bytes.first(), Some(&version), "{name}: version byte");
    assert!(
        (T::OLDEST_VERSION..=T::VERSION).contains(&version),
        "{name}: written in version {version}, which is not read"
    );
    match T::decode(&bytes) {
        Ok(decoded) => assert_eq!(&decoded, record, "{name}: decoded"),
        Err(err) => panic!("{name}: {err}"),
    }
    for len in 0..bytes.len() {
        assert!(
            T::decode(&bytes[..len]).is_err(),
            "{name}: decodes from its first {len} bytes"
        );
    }
    assert!(
        T::decode(&[bytes.as_slice(), &[0]].concat()).is_err(),
        "{name}: decodes with a trailing byte"
    );
    let unknown = [
        0,
        T::OLDEST_VERSION.saturating_sub(1),
        T::VERSION.saturating_add(1),
    ];
    let mut other = bytes.clone();
    for version in unknown {
        if !(T::OLDEST_VERSION..=T::VERSION).contains(&version) {
            other[0] = version;
            assert!(
                T::decode(&other).is_err(),
                "{name}: decodes as version {version}"
            );
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::StdResult;

    use super::*;
    use crate::{Reader, Writer};

    /// Reads a trailing field as optional: its one-byte truncation still decodes.
    #[derive(Debug, PartialEq)]
    struct Lenient(Option<u8>);

    impl Record for Lenient {
        const NAME: &'static str = "lenient";

        fn write(&self, w: &mut Writer) {
            if let Some(value) = self.0 {
                w.u8(value);
            }
        }

        fn read(r: &mut Reader, _version: u8) -> StdResult<Lenient> {
            Ok(Lenient(r.u8().ok()))
        }
    }

    #[test]
    #[should_panic(expected = "lenient: decodes from its first 1 bytes")]
    fn a_record_that_reads_its_truncation_fails() {
        assert_round_trip(&Lenient(Some(7)));
    }
}
