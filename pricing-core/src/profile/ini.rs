//! PrusaSlicer's `.ini` files: a flat `key = value` export, or a config bundle of
//! `[print:NAME]`, `[filament:NAME]`, `[printer:NAME]` sections; and a serde
//! [`Deserializer`](serde::Deserializer) from such pairs, so a profile struct derives its
//! reading instead of listing its keys again.
//!
//! Values are text the way PrusaSlicer writes them: numbers (`0.45`), percentages
//! (`15%`, the `%` is left to the caller to interpret, see `profile::builder`),
//! per-extruder lists (`1250,1250`: the first extruder's value is read), booleans
//! (`1`/`0`) and names (`gyroid`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

/// The keys and values of one source, in file order.
pub(crate) type Pairs = Vec<(String, String)>;

/// The pairs as string slices, for code that reads pairs from other sources too.
pub(crate) fn strs(pairs: &Pairs) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// A parsed `.ini` file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IniFile {
    /// A flat export: one preset's keys.
    Flat(Pairs),
    /// A config bundle: presets by kind and name, in file order.
    Bundle(Vec<Section>),
}

/// One `[kind:name]` section of a bundle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    /// `print`, `filament`, `printer`, `presets`, `sla_print`, ...
    pub kind: String,
    /// The preset name (empty for sections without one, such as `[presets]`).
    pub name: String,
    pub pairs: Pairs,
}

/// A line that is not `key = value`, a comment, a section header or blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// The line's start, at most 40 characters.
    pub text: String,
}

/// Parses `.ini` text; reports every malformed line.
pub(crate) fn parse(text: &str) -> Result<IniFile, Vec<LineError>> {
    let mut flat: Pairs = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (kind, name) = header.split_once(':').unwrap_or((header, ""));
            sections.push(Section {
                kind: kind.trim().to_string(),
                name: name.trim().to_string(),
                pairs: Vec::new(),
            });
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            errors.push(LineError {
                line: i + 1,
                text: line.chars().take(40).collect(),
            });
            continue;
        };
        let pair = (k.trim().to_string(), v.trim().to_string());
        match sections.last_mut() {
            Some(s) => s.pairs.push(pair),
            None => flat.push(pair),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if sections.is_empty() {
        return Ok(IniFile::Flat(flat));
    }
    if !flat.is_empty() {
        // Keys before the first section belong to no preset; keep them as a section of
        // their own so nothing is silently dropped.
        sections.insert(
            0,
            Section {
                kind: String::new(),
                name: String::new(),
                pairs: flat,
            },
        );
    }
    Ok(IniFile::Bundle(sections))
}

/// The first of a per-extruder list (PrusaSlicer's machine limits hold normal,stealth).
pub(crate) fn first(v: &str) -> &str {
    v.split(',').next().unwrap_or("").trim()
}

/// A boolean as PrusaSlicer writes it (`1`/`0`, the first of a list), or `true`/`false`.
pub(crate) fn flag(v: &str) -> Option<bool> {
    match first(v) {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// A number as PrusaSlicer writes it: the first of a list, a trailing `%` ignored.
pub(crate) fn number(v: &str) -> Option<f64> {
    first(v)
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// Why a value did not deserialize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError(pub String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// The field names serde's derive gives a struct (`deserialize_struct`'s `fields`).
pub(crate) fn struct_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    struct Capture(&'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for &mut Capture {
        type Error = DeError;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
            Err(DeError("not a struct".into()))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, DeError> {
            self.0 = fields;
            Err(DeError("fields captured".into()))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut c = Capture(&[]);
    let _ = T::deserialize(&mut c);
    c.0
}

/// Deserializes a struct from `key → value` text.
pub(crate) fn from_map<'de, T: serde::Deserialize<'de>>(
    map: &'de BTreeMap<String, String>,
) -> Result<T, DeError> {
    T::deserialize(MapDeserializer {
        iter: map.iter(),
        value: None,
    })
}

struct MapDeserializer<'de> {
    iter: std::collections::btree_map::Iter<'de, String, String>,
    value: Option<&'de str>,
}

impl<'de> serde::Deserializer<'de> for MapDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for MapDeserializer<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().unwrap_or("");
        seed.deserialize(Value(v))
    }
}

/// One value's text, read as the field's type asks.
struct Value<'de>(&'de str);

impl Value<'_> {
    fn number(&self) -> Result<f64, DeError> {
        number(self.0).ok_or_else(|| DeError(format!("`{}` is not a number", self.0)))
    }

    fn whole(&self) -> Result<u32, DeError> {
        let x = self.number()?;
        if x < 0.0 || x.fract() != 0.0 || x > 1000.0 {
            return Err(DeError(format!(
                "`{}` is not a whole number 0..1000",
                self.0
            )));
        }
        Ok(x as u32)
    }
}

impl<'de> serde::Deserializer<'de> for Value<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.number()?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_f64(self.number()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u32(self.whole()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_u64(u64::from(self.whole()?))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match flag(self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(DeError(format!("`{}` is not 0 or 1", self.0))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(first(self.0))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(first(self.0))
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u128 char
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Probe {
        speed: f64,
        loops: u32,
        on: bool,
        pattern: String,
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_read_as_prusaslicer_writes_them() {
        let m = map(&[
            ("speed", "1250,960"),
            ("loops", "3"),
            ("on", "1"),
            ("pattern", "gyroid"),
        ]);
        let p: Probe = from_map(&m).unwrap();
        assert_eq!(
            p,
            Probe {
                speed: 1250.0,
                loops: 3,
                on: true,
                pattern: "gyroid".into()
            }
        );
        let bad = map(&[
            ("speed", "abc"),
            ("loops", "3"),
            ("on", "1"),
            ("pattern", "x"),
        ]);
        let e = from_map::<Probe>(&bad).unwrap_err();
        assert_eq!(e.0, "`abc` is not a number");
        let bad = map(&[
            ("speed", "1"),
            ("loops", "2.5"),
            ("on", "1"),
            ("pattern", "x"),
        ]);
        assert!(
            from_map::<Probe>(&bad)
                .unwrap_err()
                .0
                .contains("whole number")
        );
        let bad = map(&[
            ("speed", "1"),
            ("loops", "2"),
            ("on", "yes"),
            ("pattern", "x"),
        ]);
        assert!(from_map::<Probe>(&bad).unwrap_err().0.contains("0 or 1"));
    }

    #[test]
    fn flat_files_and_bundles() {
        let flat = parse("# comment\n; also\n\nlayer_height = 0.2\nfill_density=15%\n").unwrap();
        assert_eq!(
            flat,
            IniFile::Flat(vec![
                ("layer_height".into(), "0.2".into()),
                ("fill_density".into(), "15%".into())
            ])
        );
        let IniFile::Bundle(s) =
            parse("[print:Fine]\nlayer_height = 0.1\n[presets]\nprint = Fine\n").unwrap()
        else {
            panic!("a bundle")
        };
        assert_eq!((s[0].kind.as_str(), s[0].name.as_str()), ("print", "Fine"));
        assert_eq!(s[1].kind, "presets");
        let e = parse("a = 1\nnot a pair\nb = 2\nalso not\n").unwrap_err();
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), vec![2, 4]);
    }
}
