//! A serde serializer that writes JSON into a byte buffer: the octets serde_json writes, compact
//! or pretty (two-space indent), without its formatter layer and with strings escaped a word at
//! a time (`string.rs`). Reports are the largest part of what `batch` writes.

use serde::ser::{self, Serialize};

use super::key::Key;
use super::string::{displayed, plain, quoted};

/// Why a value cannot be written as JSON (a map key that is not a string or number, or a
/// serializer error of the value's own).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(String);

impl ser::Error for JsonError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        JsonError(msg.to_string())
    }
}

impl JsonError {
    pub(super) fn new(why: &str) -> JsonError {
        JsonError(why.to_string())
    }
}

/// The serializer methods for the integer types, each calling `self.integer` (the digits, or
/// for a key the digits in quotes).
macro_rules! integers {
    () => {
        $crate::report::json::ser::integers!(@
            serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
            serialize_u64: u64, serialize_u128: u128);
    };
    (@ $($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<(), JsonError> {
            self.integer(v)
        })*
    };
}
pub(super) use integers;

pub(super) type Done = Result<(), JsonError>;

/// The output buffer and the layout: `PRETTY` breaks lines and indents by `depth` (a
/// parameter of the type, so that compact lines carry no layout tests).
pub(super) struct Writer<'a, const PRETTY: bool> {
    pub(super) out: &'a mut Vec<u8>,
    depth: usize,
}

impl<'a, const PRETTY: bool> Writer<'a, PRETTY> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Writer { out, depth: 0 }
    }

    fn open(&mut self, bracket: u8) {
        self.depth += 1;
        self.out.push(bracket);
    }

    /// Before an element or a key: the comma after the previous one, then the new line.
    fn element(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        if PRETTY {
            self.line();
        }
    }

    fn colon(&mut self) {
        if PRETTY {
            self.out.extend_from_slice(b": ");
        } else {
            self.out.push(b':');
        }
    }

    /// After the last element: an empty list or object closes on the line it opened on.
    fn close(&mut self, bracket: u8, any: bool) {
        self.depth = self.depth.saturating_sub(1);
        if PRETTY && any {
            self.line();
        }
        self.out.push(bracket);
    }

    fn line(&mut self) {
        self.out.push(b'\n');
        for _ in 0..self.depth {
            self.out.extend_from_slice(b"  ");
        }
    }

    pub(super) fn integer(&mut self, n: impl itoa::Integer) -> Done {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        Ok(())
    }

    /// Floats are left to serde_json, so that their digits stay exactly its digits.
    pub(super) fn float<T: Serialize>(&mut self, v: T) -> Done {
        serde_json::to_writer(&mut *self.out, &v).map_err(|e| JsonError(e.to_string()))
    }

    /// `{"variant":` before the value of a newtype, tuple or struct variant.
    fn variant(&mut self, variant: &str) {
        self.open(b'{');
        self.element(true);
        quoted(self.out, variant);
        self.colon();
    }
}

/// A list or object being written; `variant` closes the `{"variant":` around it too.
pub(super) struct Compound<'w, 'a, const P: bool> {
    w: &'w mut Writer<'a, P>,
    first: bool,
    variant: bool,
}

impl<'w, 'a, const P: bool> Compound<'w, 'a, P> {
    fn new(w: &'w mut Writer<'a, P>, bracket: u8, variant: bool) -> Self {
        w.open(bracket);
        Compound {
            w,
            first: true,
            variant,
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        self.w.element(self.first);
        self.first = false;
        value.serialize(&mut *self.w)
    }

    /// A struct field: its name is program text (serde's derive and our renames), never
    /// input, and none needs an escape (checked in debug builds, so by every test).
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Done {
        debug_assert!(plain(key), "field name {key:?} needs an escape");
        self.w.element(self.first);
        self.first = false;
        let out = &mut *self.w.out;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(if P { b"\": " } else { b"\":" });
        value.serialize(&mut *self.w)
    }

    fn finish(self, bracket: u8) -> Done {
        self.w.close(bracket, !self.first);
        if self.variant {
            self.w.close(b'}', true);
        }
        Ok(())
    }
}

impl<'w, 'a, const P: bool> ser::Serializer for &'w mut Writer<'a, P> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'w, 'a, P>;
    type SerializeTuple = Compound<'w, 'a, P>;
    type SerializeTupleStruct = Compound<'w, 'a, P>;
    type SerializeTupleVariant = Compound<'w, 'a, P>;
    type SerializeMap = Compound<'w, 'a, P>;
    type SerializeStruct = Compound<'w, 'a, P>;
    type SerializeStructVariant = Compound<'w, 'a, P>;

    fn serialize_bool(self, v: bool) -> Done {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!();
    fn serialize_f32(self, v: f32) -> Done {
        self.float(v)
    }
    fn serialize_f64(self, v: f64) -> Done {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Done {
        quoted(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Done {
        quoted(self.out, v);
        Ok(())
    }
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Done {
        if displayed(self.out, value) {
            Ok(())
        } else {
            Err(JsonError::new("a value's Display implementation failed"))
        }
    }
    fn serialize_bytes(self, v: &[u8]) -> Done {
        use ser::SerializeSeq as _;
        let mut list = self.serialize_seq(Some(v.len()))?;
        for b in v {
            list.serialize_element(b)?;
        }
        list.end()
    }
    fn serialize_none(self) -> Done {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Done {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Done {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Done {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.close(b'}', true);
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Ok(Compound::new(self, b'[', false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        self.variant(variant);
        Ok(Compound::new(self, b'[', true))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        Ok(Compound::new(self, b'{', false))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        Ok(Compound::new(self, b'{', false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        self.variant(variant);
        Ok(Compound::new(self, b'{', true))
    }
}

/// The four list-shaped compounds: elements, closed by `]`.
macro_rules! lists {
    ($($trait:ident::$method:ident),*) => {$(
        impl<const P: bool> ser::$trait for Compound<'_, '_, P> {
            type Ok = ();
            type Error = JsonError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
                self.element(value)
            }
            fn end(self) -> Done {
                self.finish(b']')
            }
        }
    )*};
}
lists!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The two struct-shaped compounds: named fields, closed by `}`.
macro_rules! structs {
    ($($trait:ident),*) => {$(
        impl<const P: bool> ser::$trait for Compound<'_, '_, P> {
            type Ok = ();
            type Error = JsonError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Done {
                self.field(key, value)
            }
            fn end(self) -> Done {
                self.finish(b'}')
            }
        }
    )*};
}
structs!(SerializeStruct, SerializeStructVariant);

impl<const P: bool> ser::SerializeMap for Compound<'_, '_, P> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Done {
        self.w.element(self.first);
        self.first = false;
        key.serialize(Key(&mut *self.w))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        self.w.colon();
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Done {
        self.finish(b'}')
    }
}
