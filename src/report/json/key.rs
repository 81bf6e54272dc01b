//! Object keys: strings as they are; numbers, booleans and characters quoted, as serde_json
//! writes them; anything else is refused.

use serde::ser::{self, Impossible, Serialize};

use super::ser::{Done, JsonError, Writer};
use super::string::quoted;

pub(super) struct Key<'w, 'a, const P: bool>(pub(super) &'w mut Writer<'a, P>);

fn not_a_string() -> JsonError {
    JsonError::new("key must be a string")
}

impl<const P: bool> Key<'_, '_, P> {
    /// A number or boolean key, in quotes.
    fn quoted(self, write: impl FnOnce(&mut Writer<P>) -> Done) -> Done {
        self.0.out.push(b'"');
        write(self.0)?;
        self.0.out.push(b'"');
        Ok(())
    }

    fn integer(self, n: impl itoa::Integer) -> Done {
        self.quoted(|w| w.integer(n))
    }

    fn float<T: Serialize>(self, v: T, finite: bool) -> Done {
        if !finite {
            return Err(JsonError::new(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|w| w.float(v))
    }
}

type No = Impossible<(), JsonError>;

impl<const P: bool> ser::Serializer for Key<'_, '_, P> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = No;
    type SerializeTuple = No;
    type SerializeTupleStruct = No;
    type SerializeTupleVariant = No;
    type SerializeMap = No;
    type SerializeStruct = No;
    type SerializeStructVariant = No;

    fn serialize_str(self, v: &str) -> Done {
        quoted(self.0.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Done {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Done {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Done {
        v.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Done {
        self.quoted(|w| ser::Serializer::serialize_bool(w, v))
    }
    super::ser::integers! {
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    }
    fn serialize_f32(self, v: f32) -> Done {
        self.float(v, v.is_finite())
    }
    fn serialize_f64(self, v: f64) -> Done {
        self.float(v, v.is_finite())
    }
    fn serialize_bytes(self, _: &[u8]) -> Done {
        Err(not_a_string())
    }
    fn serialize_none(self) -> Done {
        Err(not_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Done {
        Err(not_a_string())
    }
    fn serialize_unit(self) -> Done {
        Err(not_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Done {
        Err(not_a_string())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Done {
        Err(not_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<No, JsonError> {
        Err(not_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<No, JsonError> {
        Err(not_a_string())
    }
}
