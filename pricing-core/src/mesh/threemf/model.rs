//! One 3MF model part (`*.model`, XML) parsed into its objects and build items.
//!
//! The core specification's elements are read (`model/@unit`, `resources/object` with a
//! `mesh` or `components`, `build/item`), plus the production extension's `p:path` on
//! components and items. Elements of other namespaces (materials, beam lattices, slices,
//! a slicer's own) are skipped with their content. The part streams through the parser:
//! memory is the vertices and triangles read, never the XML text.

use std::collections::HashMap;
use std::io::BufRead;

use nalgebra::Matrix4;
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::units::Unit;

/// The 3MF core namespace.
pub const CORE_NS: &[u8] = b"http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
/// The production extension's namespace (`p:path`, `p:UUID`).
pub const PRODUCTION_NS: &[u8] = b"http://schemas.microsoft.com/3dmanufacturing/production/2015/06";
/// Deepest element nesting accepted; real model parts nest 5 or 6 deep.
pub const MAX_DEPTH: usize = 64;

/// An object's kind, from its `type` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// `model` (the default), `solidsupport`, `support` or `surface`: printed.
    Printed,
    /// `other`: not meant to be printed (the specification forbids building it).
    Other,
}

/// A component: another object placed in this one.
#[derive(Debug, Clone)]
pub struct Component {
    /// The object's id.
    pub object: u32,
    /// The part that holds it (production extension), resolved; `None`: this part.
    pub path: Option<String>,
    /// Object space of the component → object space of its parent.
    pub transform: Matrix4<f64>,
}

/// A `resources/object`.
#[derive(Debug, Clone)]
pub struct Object {
    /// `name`.
    pub name: Option<String>,
    /// `partnumber`.
    pub part_number: Option<String>,
    /// `type`.
    pub kind: ObjectKind,
    /// The mesh's vertices, as written.
    pub positions: Vec<[f32; 3]>,
    /// The mesh's triangles (indices checked against `positions`).
    pub triangles: Vec<[u32; 3]>,
    /// Components, when the object is an assembly.
    pub components: Vec<Component>,
}

/// A `build/item`.
#[derive(Debug, Clone)]
pub struct BuildItem {
    /// `objectid`.
    pub object: u32,
    /// `p:path`, resolved; `None`: the root part.
    pub path: Option<String>,
    /// Object space → build space.
    pub transform: Matrix4<f64>,
    /// `partnumber`.
    pub part_number: Option<String>,
    /// `printable` (3MF core 1.3; missing means printable).
    pub printable: bool,
}

/// A parsed model part.
#[derive(Debug, Clone, Default)]
pub struct ModelPart {
    /// `model/@unit`, when given (millimetre by default).
    pub unit: Option<Unit>,
    /// The objects by id.
    pub objects: HashMap<u32, Object>,
    /// The build items, in order (the root part's only, by the specification).
    pub build: Vec<BuildItem>,
}

/// What the parse needs to know and count across parts.
pub struct Budget {
    /// Vertices still allowed over all parts: as many as the triangle limit. A welded
    /// mesh has about half as many vertices as triangles, and the cap bounds what a
    /// vertex-only bomb can make the reader hold (20M vertices, 240 MB, by default).
    pub vertices: u64,
    /// Triangles still allowed over all parts.
    pub triangles: u64,
    /// The triangle limit, for the error.
    pub triangle_limit: u64,
}

/// Why a part did not parse.
#[derive(Debug)]
pub enum ParseError {
    /// A format error, described for the user (element or object named).
    Invalid(String),
    /// More vertices than the limits allow (as many as triangles).
    TooManyVertices {
        /// The limit.
        limit: u64,
    },
    /// More triangles than the limits allow.
    TooMany {
        /// Count reached.
        count: u64,
        /// The limit.
        limit: u64,
    },
}

/// Characters kept of a name or part number: they are data shown on quotes, and a
/// hostile file must not make them megabytes long.
pub const MAX_NAME_CHARS: usize = 256;

/// `s`, cut to [`MAX_NAME_CHARS`] characters; `None` when empty.
pub fn name_value(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    })
}

fn invalid(s: impl Into<String>) -> ParseError {
    ParseError::Invalid(s.into())
}

/// The element's namespace is the core one (or none: writers that omit `xmlns`).
fn is_core(ns: &ResolveResult) -> bool {
    match ns {
        ResolveResult::Bound(n) => n.as_ref() == CORE_NS,
        ResolveResult::Unbound => true,
        ResolveResult::Unknown(_) => false,
    }
}

/// The attributes of an element that the reader uses: unprefixed names, and `p:path`
/// (any prefix bound to the production namespace).
struct Attrs {
    plain: Vec<(Vec<u8>, String)>,
    path: Option<String>,
}

impl Attrs {
    fn of<R>(e: &BytesStart, reader: &NsReader<R>) -> Result<Attrs, ParseError> {
        let mut plain = Vec::new();
        let mut path = None;
        for a in e.attributes() {
            let a = a.map_err(|err| invalid(format!("a malformed attribute ({err})")))?;
            let value = a
                .unescape_value()
                .map_err(|err| invalid(format!("a malformed attribute value ({err})")))?
                .into_owned();
            let key = a.key;
            if key.prefix().is_none() {
                plain.push((key.as_ref().to_vec(), value));
            } else {
                let (ns, local) = reader.resolve_attribute(key);
                if let ResolveResult::Bound(n) = ns
                    && n.as_ref() == PRODUCTION_NS
                    && local.as_ref() == b"path"
                {
                    path = Some(value);
                }
            }
        }
        Ok(Attrs { plain, path })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.plain
            .iter()
            .find(|(k, _)| k == name.as_bytes())
            .map(|(_, v)| v.as_str())
    }

    /// A vertex coordinate, rounded once from the decimal to `f32` (as an STL stores it),
    /// so a coordinate written from an `f32` reads back as the same bits.
    fn coordinate(&self, name: &str) -> Result<f32, ParseError> {
        let v = self
            .get(name)
            .ok_or_else(|| invalid(format!("a <vertex> without `{name}`")))?;
        v.trim().parse::<f32>().map_err(|_| {
            invalid(format!(
                "<vertex> {name}=\"{}\" is not a number",
                crate::mesh::error::clip(v)
            ))
        })
    }

    fn index(&self, name: &str, element: &str) -> Result<u32, ParseError> {
        let v = self
            .get(name)
            .ok_or_else(|| invalid(format!("a <{element}> without `{name}`")))?;
        v.trim().parse::<u32>().map_err(|_| {
            invalid(format!(
                "<{element}> {name}=\"{}\" is not an index",
                crate::mesh::error::clip(v)
            ))
        })
    }
}

/// Parses a 3MF transform: 12 numbers `m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32`,
/// the rows of a 4×3 matrix applied to row vectors (`[x y z 1] · M`). As a column-vector
/// affine matrix that is the transpose, which is what this returns.
pub fn parse_transform(s: &str) -> Result<Matrix4<f64>, String> {
    let mut m = [0f64; 12];
    let mut n = 0;
    for word in s.split_ascii_whitespace() {
        if n == 12 {
            return Err(format!(
                "transform \"{}\" has more than 12 numbers",
                crate::mesh::error::clip(s)
            ));
        }
        m[n] = word
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                format!(
                    "transform \"{}\" holds `{}`, not a finite number",
                    crate::mesh::error::clip(s),
                    crate::mesh::error::clip(word)
                )
            })?;
        n += 1;
    }
    if n != 12 {
        return Err(format!(
            "transform \"{}\" has {n} numbers, not 12",
            crate::mesh::error::clip(s)
        ));
    }
    #[rustfmt::skip]
    let a = Matrix4::new(
        m[0], m[3], m[6], m[9],
        m[1], m[4], m[7], m[10],
        m[2], m[5], m[8], m[11],
        0.0, 0.0, 0.0, 1.0,
    );
    Ok(a)
}

fn transform_attr(attrs: &Attrs) -> Result<Matrix4<f64>, ParseError> {
    match attrs.get("transform") {
        None => Ok(Matrix4::identity()),
        Some(t) => parse_transform(t).map_err(ParseError::Invalid),
    }
}

/// Where the parser is, by the core elements open above it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Model,
    Resources,
    Object,
    Mesh,
    Vertices,
    Triangles,
    Components,
    Build,
    /// An element the reader does not use (metadata, another namespace's): its whole
    /// content is skipped.
    Skip,
}

/// Parses one model part. `resolve` turns a `p:path` value into a package part name.
pub fn parse(
    input: &mut dyn BufRead,
    budget: &mut Budget,
    resolve: &dyn Fn(&str) -> String,
) -> Result<ModelPart, ParseError> {
    let mut reader = NsReader::from_reader(input);
    let mut part = ModelPart::default();
    let mut stack: Vec<Ctx> = Vec::new();
    let mut current: Option<(u32, Object)> = None;
    let mut buf = Vec::new();
    let mut seen_model = false;
    loop {
        buf.clear();
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| invalid(format!("the XML is malformed: {e}")))?;
        let core = is_core(&ns);
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => {
                if stack.pop() == Some(Ctx::Object)
                    && let Some((id, object)) = current.take()
                {
                    check_indices(id, &object)?;
                    part.objects.insert(id, object);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(e) = start else { continue };
        if stack.len() >= MAX_DEPTH {
            return Err(invalid(format!(
                "elements are nested more than {MAX_DEPTH} deep"
            )));
        }
        let parent = stack.last().copied();
        let local = e.local_name();
        let name = local.as_ref();
        let ctx = if !core || parent == Some(Ctx::Skip) {
            Ctx::Skip
        } else {
            match (parent, name) {
                (None, b"model") => {
                    seen_model = true;
                    let attrs = Attrs::of(&e, &reader)?;
                    if let Some(u) = attrs.get("unit") {
                        part.unit = Some(Unit::from_3mf(u).ok_or_else(|| {
                            invalid(format!(
                                "unit=\"{}\" is not a 3MF unit (micron, millimeter, centimeter, inch, foot, meter)",
                                crate::mesh::error::clip(u)
                            ))
                        })?);
                    }
                    Ctx::Model
                }
                (Some(Ctx::Model), b"resources") => Ctx::Resources,
                (Some(Ctx::Model), b"build") => Ctx::Build,
                (Some(Ctx::Resources), b"object") => {
                    let attrs = Attrs::of(&e, &reader)?;
                    let id = attrs.index("id", "object")?;
                    let kind = match attrs.get("type") {
                        Some("other") => ObjectKind::Other,
                        _ => ObjectKind::Printed,
                    };
                    let object = Object {
                        name: attrs.get("name").and_then(name_value),
                        part_number: attrs.get("partnumber").and_then(name_value),
                        kind,
                        positions: Vec::new(),
                        triangles: Vec::new(),
                        components: Vec::new(),
                    };
                    if empty {
                        part.objects.insert(id, object);
                        continue;
                    }
                    current = Some((id, object));
                    Ctx::Object
                }
                (Some(Ctx::Object), b"mesh") => Ctx::Mesh,
                (Some(Ctx::Object), b"components") => Ctx::Components,
                (Some(Ctx::Mesh), b"vertices") => Ctx::Vertices,
                (Some(Ctx::Mesh), b"triangles") => Ctx::Triangles,
                (Some(Ctx::Vertices), b"vertex") => {
                    let attrs = Attrs::of(&e, &reader)?;
                    let p = [
                        attrs.coordinate("x")?,
                        attrs.coordinate("y")?,
                        attrs.coordinate("z")?,
                    ];
                    if budget.vertices == 0 {
                        return Err(ParseError::TooManyVertices {
                            limit: budget.triangle_limit,
                        });
                    }
                    budget.vertices -= 1;
                    if let Some((_, o)) = current.as_mut() {
                        o.positions.push(p);
                    }
                    Ctx::Skip
                }
                (Some(Ctx::Triangles), b"triangle") => {
                    let attrs = Attrs::of(&e, &reader)?;
                    let t = [
                        attrs.index("v1", "triangle")?,
                        attrs.index("v2", "triangle")?,
                        attrs.index("v3", "triangle")?,
                    ];
                    if budget.triangles == 0 {
                        return Err(ParseError::TooMany {
                            count: budget.triangle_limit.saturating_add(1),
                            limit: budget.triangle_limit,
                        });
                    }
                    budget.triangles -= 1;
                    if let Some((_, o)) = current.as_mut() {
                        o.triangles.push(t);
                    }
                    Ctx::Skip
                }
                (Some(Ctx::Components), b"component") => {
                    let attrs = Attrs::of(&e, &reader)?;
                    let component = Component {
                        object: attrs.index("objectid", "component")?,
                        path: attrs.path.as_deref().map(resolve),
                        transform: transform_attr(&attrs)?,
                    };
                    if let Some((_, o)) = current.as_mut() {
                        o.components.push(component);
                    }
                    Ctx::Skip
                }
                (Some(Ctx::Build), b"item") => {
                    let attrs = Attrs::of(&e, &reader)?;
                    let printable = !matches!(attrs.get("printable"), Some("0" | "false"));
                    part.build.push(BuildItem {
                        object: attrs.index("objectid", "item")?,
                        path: attrs.path.as_deref().map(resolve),
                        transform: transform_attr(&attrs)?,
                        part_number: attrs.get("partnumber").and_then(name_value),
                        printable,
                    });
                    Ctx::Skip
                }
                _ => Ctx::Skip,
            }
        };
        if !empty {
            stack.push(ctx);
        }
    }
    if !seen_model {
        return Err(invalid("it has no <model> element"));
    }
    Ok(part)
}

fn check_indices(id: u32, o: &Object) -> Result<(), ParseError> {
    let n = o.positions.len() as u64;
    if let Some((t, bad)) = o
        .triangles
        .iter()
        .enumerate()
        .find_map(|(t, tri)| tri.iter().find(|&&v| v as u64 >= n).map(|&v| (t, v)))
    {
        return Err(invalid(format!(
            "object {id}: triangle {t} refers to vertex {bad}, but the object has {n} vertices"
        )));
    }
    Ok(())
}
