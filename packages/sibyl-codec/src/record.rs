//! What a stored record is: a format version byte, then the fields of that version's layout.

use cosmwasm_std::StdResult;

use crate::{Reader, Writer};

/// A value stored in the codec encoding rather than JSON.
///
/// A record type changes by appending fields and bumping [`Self::VERSION`]; every layout from
/// [`Self::OLDEST_VERSION`] on stays readable, and [`Self::read`] is told which one it reads, so a
/// migration never has to rewrite an unbounded number of stored records. A value may also be
/// written in an older, shorter layout when it needs none of the newer fields ([`Self::version`]),
/// which saves the bytes of records rewritten on every commit or reveal.
pub trait Record: Sized {
    /// Names the record in error messages.
    const NAME: &'static str;
    /// Newest format version.
    const VERSION: u8 = 1;
    /// Oldest format version still read: records written by an earlier contract version, or in a
    /// shorter layout, stay readable.
    const OLDEST_VERSION: u8 = Self::VERSION;

    /// The format version this value is written in, the first byte of its stored bytes:
    /// [`Self::VERSION`] unless the record type keeps an older layout for values that need none of
    /// the newer fields.
    fn version(&self) -> u8 {
        Self::VERSION
    }

    /// Appends the fields of the layout [`Self::version`] names.
    fn write(&self, writer: &mut Writer);

    /// Reads the fields of a record stored in format `version`, which [`Self::decode`] has checked
    /// is in `OLDEST_VERSION..=VERSION`.
    fn read(reader: &mut Reader, version: u8) -> StdResult<Self>;

    fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(self.version());
        self.write(&mut writer);
        writer.into_bytes()
    }

    /// Reads a whole record: an unknown version, a truncated field or a trailing byte is corrupt.
    fn decode(bytes: &[u8]) -> StdResult<Self> {
        let mut reader = Reader::new(bytes, Self::NAME);
        let version = reader.version(Self::OLDEST_VERSION, Self::VERSION)?;
        let record = Self::read(&mut reader, version)?;
        reader.finish()?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_round_trip;

    /// Version 2 appended `late`; a value whose `late` is 0 keeps the shorter version-1 layout.
    #[derive(Debug, PartialEq)]
    struct Tally {
        early: u32,
        late: u32,
    }

    impl Record for Tally {
        const NAME: &'static str = "tally";
        const VERSION: u8 = 2;
        const OLDEST_VERSION: u8 = 1;

        fn version(&self) -> u8 {
            if self.late == 0 {
                1
            } else {
                2
            }
        }

        fn write(&self, w: &mut Writer) {
            w.uint(self.early);
            if self.late != 0 {
                w.uint(self.late);
            }
        }

        fn read(r: &mut Reader, version: u8) -> StdResult<Tally> {
            Ok(Tally {
                early: r.uint()?,
                late: if version >= 2 { r.uint()? } else { 0 },
            })
        }
    }

    /// A record of one version only.
    #[derive(Debug, PartialEq)]
    struct Flag(bool);

    impl Record for Flag {
        const NAME: &'static str = "flag";

        fn write(&self, w: &mut Writer) {
            w.bool(self.0);
        }

        fn read(r: &mut Reader, _version: u8) -> StdResult<Flag> {
            r.bool().map(Flag)
        }
    }

    #[test]
    fn values_are_written_in_the_version_they_name() {
        assert_eq!(Tally { early: 3, late: 0 }.encode(), [1, 3]);
        assert_eq!(Tally { early: 3, late: 4 }.encode(), [2, 3, 4]);
        assert_eq!(assert_round_trip(&Tally { early: 3, late: 0 }), 2);
        assert_round_trip(&Tally {
            early: u32::MAX,
            late: 1,
        });
        assert_round_trip(&Flag(true));
        assert_eq!(Flag(false).encode(), [1, 0]);
    }

    #[test]
    fn every_version_from_the_oldest_is_read() {
        // Version 2 with the new field at 0, as a contract that always wrote version 2 did.
        assert_eq!(
            Tally::decode(&[2, 3, 0]).unwrap(),
            Tally { early: 3, late: 0 }
        );
        for version in [0, 3, u8::MAX] {
            let err = Tally::decode(&[version, 3]).unwrap_err();
            assert!(
                err.to_string().contains("corrupt stored tally record"),
                "{err}"
            );
        }
        assert!(Flag::decode(&[0, 1]).is_err());
        assert!(Flag::decode(&[2, 1]).is_err());
        assert!(Flag::decode(&[]).is_err());
    }
}
