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

/// Serializer methods for the shapes a key cannot have: each refuses.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> $ret {
            Err(not_a_string())
        })*
    };
}

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
    super::ser::integers!();
    fn serialize_f32(self, v: f32) -> Done {
        self.float(v, v.is_finite())
    }
    fn serialize_f64(self, v: f64) -> Done {
        self.float(v, v.is_finite())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Done {
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
    refuse! {
        serialize_bytes(&[u8]) -> Done;
        serialize_none() -> Done;
        serialize_unit() -> Done;
        serialize_unit_struct(&'static str) -> Done;
        serialize_seq(Option<usize>) -> Result<No, JsonError>;
        serialize_tuple(usize) -> Result<No, JsonError>;
        serialize_tuple_struct(&'static str, usize) -> Result<No, JsonError>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Result<No, JsonError>;
        serialize_map(Option<usize>) -> Result<No, JsonError>;
        serialize_struct(&'static str, usize) -> Result<No, JsonError>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Result<No, JsonError>;
    }
}
