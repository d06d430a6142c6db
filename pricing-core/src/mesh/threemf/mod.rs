//! 3MF: bytes of a 3MF package in, the meshes of its build items out, in millimetres.
//!
//! 1. **The package** ([`package`]): a ZIP read under caps (entries, inflated bytes per
//!    part and in all, XML token size), so a zip bomb is refused in bounded memory.
//! 2. **The model part** is found through the OPC relationships (`_rels/.rels`, the
//!    3D model relationship type), not at a fixed path.
//! 3. **The model** ([`model`]): objects with meshes or components, build items with
//!    their transforms, the model `unit`; the production extension's `p:path` leads to
//!    objects kept in other model parts (as Bambu Studio and OrcaSlicer write them), which
//!    are read once each.
//! 4. **Names and modifiers** ([`slicer`]): object names from the model, or from the
//!    slicer's `Metadata/` config; modifier volumes left out.
//! 5. **Placement**: every printable build item's object is flattened (components
//!    recursively, cycles and depth guarded, triangles counted against the limit before
//!    anything is built), each vertex placed by the composed transform (nalgebra, f64),
//!    scaled by the unit, and welded like an STL's corners. A mirroring transform
//!    reverses the winding so the mesh still faces outward.
//! 6. **Items**: build items of one object whose transforms differ by a rigid motion are
//!    one [`Item`] with a quantity (see [`Item`]).

pub mod model;
pub mod package;
pub mod slicer;
pub mod write;

use std::collections::{HashMap, HashSet};

use nalgebra::{Matrix3, Matrix4, Vector4};

use self::model::{Budget, ModelPart, ObjectKind, ParseError};
use self::package::{Hit, Package};
use self::slicer::ObjectSettings;
use super::error::{MeshError, clipped};
use super::{Format, Item, Loaded, Mesh, ReadLimits};
use crate::units::Unit;
use crate::warning::Warning;

/// Deepest nesting of components accepted (assemblies of assemblies).
pub const MAX_COMPONENT_DEPTH: usize = 32;

/// Relative tolerance of the rigid-motion test between two instances' transforms.
const RIGID_TOLERANCE: f64 = 1e-6;

/// The slicer configs that name objects, in the order they are tried.
const SLICER_CONFIGS: [&str; 2] = [
    "Metadata/Slic3r_PE_model.config",
    "Metadata/model_settings.config",
];

/// Reads a 3MF package.
pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Loaded, MeshError> {
    let mut package = Package::open(bytes, limits)?;
    let mut warnings = Vec::new();
    let root = find_model_part(&mut package, &mut warnings)?;

    let mut budget = Budget {
        vertices: limits.max_triangles,
        triangles: limits.max_triangles,
        triangle_limit: limits.max_triangles,
    };
    let mut parts: HashMap<String, ModelPart> = HashMap::new();
    let root_part = load_part(&mut package, &root, &mut budget, limits)?;
    parts.insert(root.clone(), root_part);
    // Every part a `p:path` names, once each, breadth first.
    let mut queue: Vec<String> = referenced_parts(&parts[&root]);
    let mut seen: HashSet<String> = HashSet::from([root.clone()]);
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(actual) = package.find(&name) else {
            return Err(MeshError::ThreeMf {
                part: root.clone(),
                detail: format!(
                    "a p:path names the part /{}, which is not in the package",
                    clipped(&name)
                ),
            });
        };
        let part = load_part(&mut package, &actual, &mut budget, limits)?;
        queue.extend(referenced_parts(&part));
        parts.insert(name.clone(), part.clone());
        if actual != name {
            parts.insert(actual, part);
        }
    }

    let settings = SLICER_CONFIGS
        .iter()
        .find_map(|c| package.read_small(c).transpose())
        .transpose()?
        .map(|xml| slicer::parse(&xml))
        .unwrap_or_default();

    let unit = parts[&root].unit.unwrap_or(Unit::Mm);
    let scene = Scene {
        parts: &parts,
        root: &root,
        settings: &settings,
    };
    let build = parts[&root].build.clone();

    // Count first: components can multiply a small file into billions of triangles.
    let mut counts = HashMap::new();
    let mut total = 0u64;
    for item in build.iter().filter(|i| i.printable) {
        let part = item.path.as_deref().unwrap_or(&root);
        total = total.saturating_add(scene.count(
            part,
            item.object,
            0,
            &mut Vec::new(),
            &mut counts,
        )?);
        if total > limits.max_triangles {
            return Err(MeshError::TooManyTriangles {
                count: total,
                limit: limits.max_triangles,
            });
        }
    }

    let scale = Matrix4::new_scaling(unit.to_mm());
    let mut instances: Vec<Instance> = Vec::new();
    let mut skipped_notes: HashSet<String> = HashSet::new();
    for (index, item) in build.iter().enumerate() {
        let Unwrapped {
            part,
            object: object_id,
            placement,
            name: wrapper_name,
            part_number: wrapper_part_number,
        } = scene.unwrap(
            item.path.as_deref().unwrap_or(&root),
            item.object,
            item.transform,
        )?;
        let part = part.as_str();
        let object = scene.object(part, object_id)?;
        let name = wrapper_name.or_else(|| {
            object.name.clone().or_else(|| {
                scene
                    .settings_for(part, object_id)
                    .and_then(|s| s.name.clone())
            })
        });
        let label = describe(index, item.object, name.as_deref());
        if !item.printable {
            warnings.push(Warning::new(
                "non_printable_skipped",
                format!("{label} is marked printable=\"0\" and was left out of the quote"),
            ));
            continue;
        }
        if object.kind == ObjectKind::Other {
            warnings.push(Warning::new(
                "other_object_skipped",
                format!("{label} is an object of type \"other\" (not meant to be printed) and was left out of the quote"),
            ));
            continue;
        }
        let mut soup = Soup::default();
        scene.emit(
            part,
            object_id,
            &(scale * placement),
            0,
            &mut Vec::new(),
            &mut soup,
            true,
            &mut skipped_notes,
        )?;
        if soup.triangles.is_empty() {
            warnings.push(Warning::new(
                "empty_item_skipped",
                format!("{label} has no triangles and was left out of the quote"),
            ));
            continue;
        }
        let mesh = soup.weld()?;
        instances.push(Instance {
            key: (part.to_string(), object_id, item.part_number.clone()),
            linear: placement.fixed_view::<3, 3>(0, 0).into_owned(),
            name,
            part_number: item
                .part_number
                .clone()
                .or(wrapper_part_number)
                .or_else(|| object.part_number.clone()),
            mesh,
        });
    }
    let mut notes: Vec<String> = skipped_notes.into_iter().collect();
    notes.sort();
    for n in notes {
        warnings.push(Warning::new("modifier_skipped", n));
    }
    if instances.is_empty() {
        return Err(MeshError::NoTriangles);
    }
    let (mesh, items) = group_items(instances);
    Ok(Loaded {
        mesh,
        format: Format::ThreeMf,
        gzipped: false,
        declared_unit: Some(unit),
        items,
        warnings,
        obj_groups: Vec::new(),
    })
}

/// "build item 2 (object 5, \"Bracket\")", for warnings.
fn describe(index: usize, object: u32, name: Option<&str>) -> String {
    match name {
        Some(n) => format!(
            "build item {} (object {object}, \"{}\")",
            index + 1,
            clipped(n)
        ),
        None => format!("build item {} (object {object})", index + 1),
    }
}

/// The model part the package's root relationships point at. Without `_rels/.rels` at
/// all, a lone `3D/*.model` part is accepted with a warning (some hand-made packages
/// omit it); a ZIP with neither is not a 3MF.
fn find_model_part(
    package: &mut Package,
    warnings: &mut Vec<Warning>,
) -> Result<String, MeshError> {
    let entries = package.entries();
    match package.read_small("_rels/.rels")? {
        Some(rels) => {
            let Some(target) = model_relationship(&rels) else {
                return Err(MeshError::ZipWithoutModel { entries });
            };
            let name = package::resolve("", &target);
            package.find(&name).ok_or_else(|| MeshError::ThreeMf {
                part: format!("/{}", clipped(&name)),
                detail: "the package's relationships point at it, but it is not in the package"
                    .into(),
            })
        }
        None => {
            let names = package.names();
            let model = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case("3D/3dmodel.model"))
                .or_else(|| {
                    names.iter().find(|n| {
                        n.len() > 9
                            && n[..3].eq_ignore_ascii_case("3D/")
                            && n.to_ascii_lowercase().ends_with(".model")
                    })
                });
            match model {
                Some(m) => {
                    warnings.push(Warning::new(
                        "3mf_no_relationships",
                        format!(
                            "the package has no _rels/.rels; its model was taken from /{}",
                            clipped(m)
                        ),
                    ));
                    Ok(m.clone())
                }
                None => Err(MeshError::ZipWithoutModel { entries }),
            }
        }
    }
}

/// The target of the first 3D model relationship in a `.rels` part.
fn model_relationship(xml: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == b"Relationship" =>
            {
                let get = |k: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                };
                if get(b"Type").as_deref() == Some(package::MODEL_RELATIONSHIP)
                    && let Some(t) = get(b"Target")
                {
                    return Some(t);
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// Parses the model part `name`, mapping the parser's failures to errors that name the
/// part, and a cap the stream ran into to [`MeshError::ArchiveLimit`].
fn load_part(
    package: &mut Package,
    name: &str,
    budget: &mut Budget,
    limits: &ReadLimits,
) -> Result<ModelPart, MeshError> {
    let hit = Hit::default();
    let base = match name.rfind('/') {
        Some(i) => name[..=i].to_string(),
        None => String::new(),
    };
    let resolve = move |target: &str| package::resolve(&base, target);
    let parsed = package.with_part(name, limits.max_bytes, true, &hit, |r| {
        model::parse(r, budget, &resolve)
    })?;
    if let Some(e) = hit.error() {
        return Err(e);
    }
    parsed.map_err(|e| match e {
        ParseError::Invalid(detail) => MeshError::ThreeMf {
            part: format!("/{name}"),
            detail,
        },
        ParseError::TooMany { count, limit } => MeshError::TooManyTriangles { count, limit },
        ParseError::TooManyVertices { limit } => MeshError::TooManyVertices { limit },
    })
}

fn referenced_parts(part: &ModelPart) -> Vec<String> {
    let mut out: Vec<String> = part
        .objects
        .values()
        .flat_map(|o| o.components.iter().filter_map(|c| c.path.clone()))
        .chain(part.build.iter().filter_map(|b| b.path.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The parsed parts and what the slicer said, for flattening objects.
struct Scene<'a> {
    parts: &'a HashMap<String, ModelPart>,
    root: &'a str,
    settings: &'a HashMap<u32, ObjectSettings>,
}

/// What [`Scene::unwrap`] reached: the object, its placement, and the name and part
/// number met first on the way.
struct Unwrapped {
    part: String,
    object: u32,
    placement: Matrix4<f64>,
    name: Option<String>,
    part_number: Option<String>,
}

/// Positions and triangles gathered for one instance, before welding.
#[derive(Default)]
struct Soup {
    positions: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
}

impl Soup {
    fn weld(&self) -> Result<Mesh, MeshError> {
        Mesh::weld(
            self.triangles.len(),
            |t| {
                self.triangles[t]
                    .map(|v| self.positions.get(v as usize).copied().unwrap_or([0.0; 3]))
            },
            &crate::cancel::Cancel::never(),
        )
    }
}

impl Scene<'_> {
    fn object(&self, part: &str, id: u32) -> Result<&model::Object, MeshError> {
        self.parts
            .get(part)
            .and_then(|p| p.objects.get(&id))
            .ok_or_else(|| MeshError::ThreeMf {
                part: format!("/{}", clipped(part)),
                detail: format!("object {id} is referenced but not defined"),
            })
    }

    /// Slicer settings apply to the root part's objects.
    fn settings_for(&self, part: &str, id: u32) -> Option<&ObjectSettings> {
        if part == self.root {
            self.settings.get(&id)
        } else {
            None
        }
    }

    fn guard(
        &self,
        part: &str,
        id: u32,
        depth: usize,
        stack: &[(String, u32)],
    ) -> Result<(), MeshError> {
        if depth > MAX_COMPONENT_DEPTH {
            return Err(MeshError::ThreeMf {
                part: format!("/{}", clipped(part)),
                detail: format!(
                    "components are nested more than {MAX_COMPONENT_DEPTH} deep (at object {id})"
                ),
            });
        }
        if stack.iter().any(|(p, o)| p == part && *o == id) {
            return Err(MeshError::ThreeMf {
                part: format!("/{}", clipped(part)),
                detail: format!("object {id} contains itself through its components"),
            });
        }
        Ok(())
    }

    /// Follows wrappers: an object with no mesh and exactly one component is the same part
    /// as that component's object, placed by the composed transform. PrusaSlicer writes a
    /// duplicated object's extra instances this way (objects 2 and 3 each holding object
    /// 1), so seeing through them lets instances of one part count as one item. Returns
    /// the object reached, its placement, and the first name met on the way (a wrapper's
    /// own name wins over its content's).
    fn unwrap(&self, part: &str, id: u32, transform: Matrix4<f64>) -> Result<Unwrapped, MeshError> {
        let (mut part, mut id, mut m) = (part.to_string(), id, transform);
        let mut name = None;
        let mut part_number = None;
        for _ in 0..MAX_COMPONENT_DEPTH {
            let object = self.object(&part, id)?;
            let settings = self.settings_for(&part, id);
            let own = object
                .name
                .clone()
                .or_else(|| settings.and_then(|s| s.name.clone()));
            let wraps = object.triangles.is_empty()
                && object.components.len() == 1
                && object.kind == ObjectKind::Printed
                && settings.is_none_or(|s| s.skipped_components.is_empty());
            if !wraps {
                break;
            }
            if name.is_none() {
                name = own;
            }
            if part_number.is_none() {
                part_number = object.part_number.clone();
            }
            let c = &object.components[0];
            m *= c.transform;
            if let Some(p) = &c.path {
                part = p.clone();
            }
            id = c.object;
        }
        Ok(Unwrapped {
            part,
            object: id,
            placement: m,
            name,
            part_number,
        })
    }

    /// Triangles object `id` of `part` flattens to (memoised; saturating).
    fn count(
        &self,
        part: &str,
        id: u32,
        depth: usize,
        stack: &mut Vec<(String, u32)>,
        memo: &mut HashMap<(String, u32), u64>,
    ) -> Result<u64, MeshError> {
        if let Some(&n) = memo.get(&(part.to_string(), id)) {
            return Ok(n);
        }
        self.guard(part, id, depth, stack)?;
        let object = self.object(part, id)?;
        stack.push((part.to_string(), id));
        let mut n = object.triangles.len() as u64;
        for c in &object.components {
            let child = c.path.as_deref().unwrap_or(part);
            n = n.saturating_add(self.count(child, c.object, depth + 1, stack, memo)?);
        }
        stack.pop();
        memo.insert((part.to_string(), id), n);
        Ok(n)
    }

    /// Appends object `id` of `part`, placed by `m`, to `out`. `top` marks the build
    /// item's own object, where the slicer's modifier exclusions apply.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        part: &str,
        id: u32,
        m: &Matrix4<f64>,
        depth: usize,
        stack: &mut Vec<(String, u32)>,
        out: &mut Soup,
        top: bool,
        notes: &mut HashSet<String>,
    ) -> Result<(), MeshError> {
        self.guard(part, id, depth, stack)?;
        let object = self.object(part, id)?;
        let settings = if top {
            self.settings_for(part, id)
        } else {
            None
        };
        let name = object
            .name
            .as_deref()
            .or_else(|| settings.and_then(|s| s.name.as_deref()));
        let label = match name {
            Some(n) => format!("object {id} (\"{}\")", clipped(n)),
            None => format!("object {id}"),
        };
        if !object.triangles.is_empty() {
            let mirror = m.fixed_view::<3, 3>(0, 0).determinant() < 0.0;
            let base = out.positions.len() as u32;
            out.positions.extend(object.positions.iter().map(|p| {
                let q = m * Vector4::new(p[0] as f64, p[1] as f64, p[2] as f64, 1.0);
                [q.x as f32, q.y as f32, q.z as f32]
            }));
            let skipped = settings
                .map(|s| s.skipped_triangles.as_slice())
                .unwrap_or(&[]);
            for (t, tri) in object.triangles.iter().enumerate() {
                if let Some((_, kind)) = skipped.iter().find(|(r, _)| r.contains(&(t as u32))) {
                    notes.insert(format!(
                        "a {kind} volume of {label} is not a printed part and was left out"
                    ));
                    continue;
                }
                let mut tri = tri.map(|v| v + base);
                if mirror {
                    tri.swap(1, 2);
                }
                out.triangles.push(tri);
            }
        }
        stack.push((part.to_string(), id));
        for c in &object.components {
            if let Some((_, kind)) =
                settings.and_then(|s| s.skipped_components.iter().find(|(o, _)| *o == c.object))
            {
                notes.insert(format!(
                    "a {kind} of {label} (object {}) is not a printed part and was left out",
                    c.object
                ));
                continue;
            }
            let child = c.path.as_deref().unwrap_or(part);
            self.emit(
                child,
                c.object,
                &(m * c.transform),
                depth + 1,
                stack,
                out,
                false,
                notes,
            )?;
        }
        stack.pop();
        Ok(())
    }
}

/// One placed build item.
struct Instance {
    /// Which object (part, id) and part number it places.
    key: (String, u32, Option<String>),
    /// The linear part of its build transform.
    linear: Matrix3<f64>,
    name: Option<String>,
    part_number: Option<String>,
    mesh: Mesh,
}

/// Whether `b` is `a` followed by a proper rotation: `b·a⁻¹` orthonormal, determinant +1.
pub fn differ_by_rigid_motion(a: &Matrix3<f64>, b: &Matrix3<f64>) -> bool {
    let Some(inv) = a.try_inverse() else {
        return false;
    };
    let r = b * inv;
    let err = (r.transpose() * r - Matrix3::identity()).abs().max();
    err < RIGID_TOLERANCE && r.determinant() > 0.0
}

/// The merged mesh (every instance, in build order) and the items: instances of one
/// object that differ by a rigid motion are one item with a quantity.
fn group_items(instances: Vec<Instance>) -> (Mesh, Vec<Item>) {
    let single = instances.len() == 1;
    let mut merged = Mesh::default();
    // Per item: the linear part of its first instance.
    let mut firsts: Vec<(usize, Matrix3<f64>)> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut keys: Vec<(String, u32, Option<String>)> = Vec::new();
    for inst in instances {
        let base = merged.positions.len() as u32;
        merged.positions.extend_from_slice(&inst.mesh.positions);
        merged
            .triangles
            .extend(inst.mesh.triangles.iter().map(|t| t.map(|v| v + base)));
        let same = firsts
            .iter()
            .find(|(i, lin)| keys[*i] == inst.key && differ_by_rigid_motion(lin, &inst.linear));
        match same {
            Some(&(i, _)) => items[i].quantity += 1,
            None => {
                firsts.push((items.len(), inst.linear));
                keys.push(inst.key.clone());
                items.push(Item {
                    name: inst.name,
                    part_number: inst.part_number,
                    quantity: 1,
                    mesh: if single { None } else { Some(inst.mesh) },
                });
            }
        }
    }
    (merged, items)
}

#[cfg(test)]
mod tests;
