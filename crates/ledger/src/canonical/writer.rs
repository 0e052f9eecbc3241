//! A `serde::Serializer` that writes canonical JSON straight from the value, without building
//! a `serde_json::Value` first.
//!
//! It gives the text `canonical_value(&serde_json::to_value(x)?)` gives (the property tests
//! in the parent module hold it to that), with one deliberate difference: a non-finite float
//! is refused with its path (`CanonicalError::NonInteger`) where `to_value` would have turned
//! it into `null` silently.
//!
//! Objects: each member is written as `"key":value` into the output as it comes, its byte
//! range remembered with its key; at the end of the object the members are put in RFC 8785
//! order (keys by UTF-16 code units, the last of repeated keys wins, as in `to_value`), which
//! costs nothing when they already came in that order. Map keys are kept in a stack-like arena
//! (objects nest, so the keys of an inner object are dropped before the outer one ends).

use std::cmp::Ordering;
use std::fmt::{self, Display, Write as _};

use serde::ser::{self, Impossible, Serialize};

use super::{CanonicalError, write_double, write_string};

/// Why serialising failed; the path of a non-finite number is gathered on the way up, from
/// the innermost segment outwards, so that a value without one pays nothing for paths.
#[derive(Debug)]
pub(super) enum Error {
    Custom(String),
    NonFinite {
        number: String,
        rev_path: Vec<String>,
    },
}

impl Error {
    fn within(mut self, segment: impl FnOnce() -> String) -> Self {
        if let Error::NonFinite { rev_path, .. } = &mut self {
            rev_path.push(segment());
        }
        self
    }
}

impl From<Error> for CanonicalError {
    fn from(error: Error) -> Self {
        match error {
            Error::Custom(message) => CanonicalError::Serialize(message),
            Error::NonFinite { number, rev_path } => {
                let mut path = String::from("$");
                for segment in rev_path.iter().rev() {
                    path.push_str(segment);
                }
                CanonicalError::NonInteger(number, path)
            }
        }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Custom(message) => f.write_str(message),
            Error::NonFinite { number, .. } => write!(f, "the number {number} is not finite"),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

fn key_must_be_a_string() -> Error {
    Error::Custom("key must be a string".to_owned())
}

type Result<T, E = Error> = std::result::Result<T, E>;

/// A key of an object member: a struct field name, or a map key in the arena.
#[derive(Clone, Copy)]
enum Key {
    Static(&'static str),
    Arena(usize, usize),
}

/// One member of an object being written: its key, and the bytes `"key":value` in the output.
#[derive(Clone, Copy)]
struct Member {
    key: Key,
    start: usize,
    end: usize,
}

pub(super) struct Writer {
    pub(super) out: String,
    /// Map keys of the objects being written, innermost last.
    keys: String,
    /// The members of an object while it is put in order.
    scratch: String,
    /// Member lists to reuse, one per open object.
    pool: Vec<Vec<Member>>,
}

impl Writer {
    pub(super) fn new() -> Self {
        Writer {
            out: String::with_capacity(256),
            keys: String::new(),
            scratch: String::new(),
            pool: Vec::new(),
        }
    }

    fn write_f64(&mut self, value: f64) -> Result<()> {
        match serde_json::Number::from_f64(value) {
            Some(number) => {
                write_double(value, &number, &mut self.out);
                Ok(())
            }
            None => Err(Error::NonFinite {
                number: value.to_string(),
                rev_path: Vec::new(),
            }),
        }
    }

    fn write_integer(&mut self, value: impl itoa::Integer) {
        self.out.push_str(itoa::Buffer::new().format(value));
    }

    fn open_object(&mut self) -> Object<'_> {
        self.out.push('{');
        let members = self.pool.pop().unwrap_or_default();
        Object {
            base: self.out.len(),
            keys_base: self.keys.len(),
            members,
            next_key: None,
            variant: None,
            w: self,
        }
    }
}

/// RFC 8785 §3.2.3: keys in the order of their UTF-16 code units. That is byte order where
/// the strings first differ in an ASCII character (nearly always); otherwise compare the
/// UTF-16 forms (code point order and UTF-16 order differ for U+E000..U+FFFF against
/// characters beyond U+FFFF).
fn utf16_order(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    match x.iter().zip(y).position(|(p, q)| p != q) {
        None => x.len().cmp(&y.len()),
        Some(i) if x[i] < 0x80 && y[i] < 0x80 => x[i].cmp(&y[i]),
        Some(_) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        // As `to_value`: only what fits an i64 or a u64 is a JSON number.
        if i64::try_from(v).is_ok() || u64::try_from(v).is_ok() {
            self.write_integer(v);
            Ok(())
        } else {
            Err(Error::Custom("number out of range".to_owned()))
        }
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.write_integer(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        if u64::try_from(v).is_ok() {
            self.write_integer(v);
            Ok(())
        } else {
            Err(Error::Custom("number out of range".to_owned()))
        }
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        // As `to_value`: the f32 widened to the f64 it is.
        self.write_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.write_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_string(v.encode_utf8(&mut [0; 4]), &mut self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_string(v, &mut self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.out.push('[');
        for (i, byte) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.write_integer(*byte);
        }
        self.out.push(']');
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.out.push('{');
        write_string(variant, &mut self.out);
        self.out.push(':');
        value
            .serialize(&mut *self)
            .map_err(|e| e.within(|| format!(".{variant}")))?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>> {
        self.out.push('[');
        Ok(Array {
            w: self,
            index: 0,
            closing: "]",
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Array<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>> {
        self.out.push('{');
        write_string(variant, &mut self.out);
        self.out.push_str(":[");
        Ok(Array {
            w: self,
            index: 0,
            closing: "]}",
            variant: Some(variant),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>> {
        Ok(self.open_object())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Object<'a>> {
        Ok(self.open_object())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>> {
        self.out.push('{');
        write_string(variant, &mut self.out);
        self.out.push(':');
        let mut object = self.open_object();
        object.variant = Some(variant);
        Ok(object)
    }
    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        // Written in place; re-escaped only if the text turns out to need it.
        let start = self.out.len();
        self.out.push('"');
        write!(self.out, "{value}").map_err(|e| Error::Custom(e.to_string()))?;
        let text = &self.out[start + 1..];
        if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            let text = text.to_owned();
            self.out.truncate(start);
            write_string(&text, &mut self.out);
        } else {
            self.out.push('"');
        }
        Ok(())
    }
}

/// An array (or the array of a tuple variant) being written.
pub(super) struct Array<'a> {
    w: &'a mut Writer,
    index: usize,
    closing: &'static str,
    variant: Option<&'static str>,
}

impl Array<'_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        if self.index > 0 {
            self.w.out.push(',');
        }
        let index = self.index;
        let variant = self.variant;
        value.serialize(&mut *self.w).map_err(|e| {
            e.within(|| match variant {
                Some(v) => format!(".{v}[{index}]"),
                None => format!("[{index}]"),
            })
        })?;
        self.index += 1;
        Ok(())
    }
    fn finish(self) -> Result<()> {
        self.w.out.push_str(self.closing);
        Ok(())
    }
}

impl ser::SerializeSeq for Array<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTuple for Array<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Array<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Array<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// An object (a struct, a map, or the object of a struct variant) being written.
pub(super) struct Object<'a> {
    w: &'a mut Writer,
    /// Where the members start in the output (just after `{`).
    base: usize,
    /// Where this object's map keys start in the key arena.
    keys_base: usize,
    members: Vec<Member>,
    /// The key given by `serialize_key`, waiting for its value.
    next_key: Option<Key>,
    /// The variant whose body this object is (`{"Variant":{...}}`), if any.
    variant: Option<&'static str>,
}

fn key_text(key: Key, arena: &str) -> &str {
    match key {
        Key::Static(s) => s,
        Key::Arena(start, end) => &arena[start..end],
    }
}

impl Object<'_> {
    fn member<T: ?Sized + Serialize>(&mut self, key: Key, value: &T) -> Result<()> {
        let w = &mut *self.w;
        if !self.members.is_empty() {
            w.out.push(',');
        }
        let start = w.out.len();
        write_string(key_text(key, &w.keys), &mut w.out);
        w.out.push(':');
        if let Err(e) = value.serialize(&mut *w) {
            let keys = &w.keys;
            return Err(e.within(|| format!(".{}", key_text(key, keys))));
        }
        self.members.push(Member {
            key,
            start,
            end: w.out.len(),
        });
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        let w = &mut *self.w;
        let keys = w.keys.as_str();
        let in_order = self.members.windows(2).all(|pair| {
            utf16_order(key_text(pair[0].key, keys), key_text(pair[1].key, keys)).is_lt()
        });
        if !in_order {
            // A stable sort keeps repeated keys in the order they came; the last one wins.
            self.members
                .sort_by(|a, b| utf16_order(key_text(a.key, keys), key_text(b.key, keys)));
            w.scratch.clear();
            w.scratch.push_str(&w.out[self.base..]);
            w.out.truncate(self.base);
            let mut first = true;
            for (i, member) in self.members.iter().enumerate() {
                if let Some(next) = self.members.get(i + 1)
                    && key_text(next.key, keys) == key_text(member.key, keys)
                {
                    continue;
                }
                if !first {
                    w.out.push(',');
                }
                first = false;
                w.out
                    .push_str(&w.scratch[member.start - self.base..member.end - self.base]);
            }
        }
        w.out
            .push_str(if self.variant.is_some() { "}}" } else { "}" });
        w.keys.truncate(self.keys_base);
        self.members.clear();
        w.pool.push(std::mem::take(&mut self.members));
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let start = self.w.keys.len();
        key.serialize(KeyWriter {
            keys: &mut self.w.keys,
        })?;
        self.next_key = Some(Key::Arena(start, self.w.keys.len()));
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        match self.next_key.take() {
            Some(key) => self.member(key, value),
            None => Err(Error::Custom(
                "serialize_value called before serialize_key".to_owned(),
            )),
        }
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.member(Key::Static(key), value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let variant = self.variant.unwrap_or_default();
        self.member(Key::Static(key), value)
            .map_err(|e| e.within(|| format!(".{variant}")))
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// Writes a map key into the key arena, accepting what `serde_json::to_value` accepts as a
/// key (strings, and numbers, booleans, chars and unit variants as their text).
struct KeyWriter<'k> {
    keys: &'k mut String,
}

impl KeyWriter<'_> {
    fn integer(self, value: impl itoa::Integer) -> Result<()> {
        self.keys.push_str(itoa::Buffer::new().format(value));
        Ok(())
    }
    fn float<F: Serialize + Copy>(self, value: F, finite: bool) -> Result<()> {
        if !finite {
            return Err(Error::Custom("float key must be finite".to_owned()));
        }
        // serde_json writes a float key as it writes the float.
        let text = serde_json::to_string(&value).map_err(|e| Error::Custom(e.to_string()))?;
        self.keys.push_str(&text);
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.keys.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.integer(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.integer(v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.integer(v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.float(v, v.is_finite())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.float(v, v.is_finite())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.keys.push(v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.keys.push_str(v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.keys.push_str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        write!(self.keys, "{value}").map_err(|e| Error::Custom(e.to_string()))
    }
}
