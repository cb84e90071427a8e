//! The field encoding: integers as LEB128 varints, byte strings and text as a varint length then
//! the bytes, options and booleans as a one-byte tag.

use cosmwasm_std::{Addr, StdError, StdResult};

/// Appends fields to a record.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    pub fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }

    /// Any unsigned integer, as a LEB128 varint (7 bits per byte, low bits first).
    pub fn uint(&mut self, value: impl Into<u128>) {
        let mut value: u128 = value.into();
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.uint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    pub fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    pub fn option<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                write(self, value);
            }
        }
    }
}

/// Reads the fields of one record back, in the order they were written.
pub struct Reader<'a> {
    bytes: &'a [u8],
    record: &'static str,
}

impl<'a> Reader<'a> {
    /// `record` names the record type in error messages.
    pub fn new(bytes: &'a [u8], record: &'static str) -> Self {
        Reader { bytes, record }
    }

    pub fn corrupt(&self) -> StdError {
        StdError::msg(format!("corrupt stored {} record", self.record))
    }

    fn take(&mut self, len: usize) -> StdResult<&'a [u8]> {
        if len > self.bytes.len() {
            return Err(self.corrupt());
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> StdResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn bool(&mut self) -> StdResult<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.corrupt()),
        }
    }

    pub fn u128(&mut self) -> StdResult<u128> {
        let mut value: u128 = 0;
        for shift in (0..128).step_by(7) {
            let byte = self.u8()?;
            let bits = u128::from(byte & 0x7f);
            // The 19th byte holds the top 2 bits; anything above them would be lost.
            if shift == 126 && bits > 0b11 {
                return Err(self.corrupt());
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.corrupt())
    }

    /// A varint that must fit `T`.
    pub fn uint<T: TryFrom<u128>>(&mut self) -> StdResult<T> {
        let value = self.u128()?;
        T::try_from(value).map_err(|_| self.corrupt())
    }

    pub fn bytes(&mut self) -> StdResult<&'a [u8]> {
        let len = self.uint::<usize>()?;
        self.take(len)
    }

    pub fn string(&mut self) -> StdResult<String> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt())
    }

    /// Addresses are validated before they are stored.
    pub fn addr(&mut self) -> StdResult<Addr> {
        Ok(Addr::unchecked(self.string()?))
    }

    pub fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> StdResult<T>,
    ) -> StdResult<Option<T>> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            _ => Err(self.corrupt()),
        }
    }

    /// The format version byte a record starts with, which must be in `oldest..=newest`.
    pub fn version(&mut self, oldest: u8, newest: u8) -> StdResult<u8> {
        let version = self.u8()?;
        if !(oldest..=newest).contains(&version) {
            return Err(self.corrupt());
        }
        Ok(version)
    }

    /// A record must be read to its last byte.
    pub fn finish(self) -> StdResult<()> {
        if !self.bytes.is_empty() {
            return Err(self.corrupt());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [
            0u128,
            1,
            127,
            128,
            300,
            u64::MAX as u128,
            u128::MAX - 1,
            u128::MAX,
        ];
        for value in values {
            let mut writer = Writer::default();
            writer.uint(value);
            let bytes = writer.into_bytes();
            let mut reader = Reader::new(&bytes, "test");
            assert_eq!(reader.u128().unwrap(), value);
            reader.finish().unwrap();
        }
        let mut writer = Writer::default();
        writer.uint(127u8);
        assert_eq!(writer.into_bytes(), [127]);
    }

    #[test]
    fn malformed_fields_are_errors() {
        // A varint above u128::MAX, an unterminated one, and one too long for u32.
        let mut too_big = vec![0xff; 18];
        too_big.push(0x04);
        assert!(Reader::new(&too_big, "test").u128().is_err());
        assert!(Reader::new(&[0x80], "test").u128().is_err());
        assert!(Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x10], "test")
            .uint::<u32>()
            .is_err());
        // A length past the end, invalid UTF-8, bad tags, a wrong version, trailing bytes.
        assert!(Reader::new(&[5, 1], "test").bytes().is_err());
        assert!(Reader::new(&[1, 0xff], "test").string().is_err());
        assert!(Reader::new(&[2], "test").bool().is_err());
        assert!(Reader::new(&[2], "test").option(|r| r.u8()).is_err());
        assert!(Reader::new(&[2], "test").version(1, 1).is_err());
        assert!(Reader::new(&[0], "test").version(1, 2).is_err());
        assert_eq!(Reader::new(&[2], "test").version(1, 2).unwrap(), 2);
        assert!(Reader::new(&[0], "test").finish().is_err());
        let err = Reader::new(&[], "job").u8().unwrap_err();
        assert!(
            err.to_string().contains("corrupt stored job record"),
            "{err}"
        );
    }

    #[test]
    fn options_and_strings_round_trip() {
        let mut writer = Writer::default();
        writer.option(Some("é"), |w, s| w.str(s));
        writer.option(None::<u8>, |w, v| w.u8(v));
        writer.bool(true);
        let bytes = writer.into_bytes();
        let mut reader = Reader::new(&bytes, "test");
        assert_eq!(reader.option(|r| r.string()).unwrap().as_deref(), Some("é"));
        assert_eq!(reader.option(|r| r.u8()).unwrap(), None);
        assert!(reader.bool().unwrap());
        reader.finish().unwrap();
    }
}
