//! What slicers keep beside the model in `Metadata/`: object names, and which volumes
//! are parts and which are modifiers.
//!
//! The 3MF core has an optional `name` on objects, and PrusaSlicer 2.5 does not write it:
//! its names live in `Metadata/Slic3r_PE_model.config`, with each volume's triangle range
//! (`firstid`..`lastid` of the object's mesh) and `volume_type`. Bambu Studio and
//! OrcaSlicer keep theirs in `Metadata/model_settings.config`, a part per component
//! (`part id` = the component's `objectid`) with a `subtype`. Modifiers, support
//! blockers and enforcers and negative volumes are not printed, so they are left out of
//! the item (with a warning): counting a modifier box's volume would price air.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use quick_xml::Reader;
use quick_xml::events::Event;

/// What the slicer says about one object (by its id in the root model part).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectSettings {
    /// The object's name.
    pub name: Option<String>,
    /// PrusaSlicer: triangle ranges of the object's mesh that are not model parts, with
    /// their volume type.
    pub skipped_triangles: Vec<(RangeInclusive<u32>, String)>,
    /// Bambu / Orca: component object ids that are not normal parts, with their subtype.
    pub skipped_components: Vec<(u32, String)>,
}

/// Reads a PrusaSlicer or Bambu/Orca config. Anything unexpected is ignored: these files
/// only add names and exclusions, the model stands without them.
pub fn parse(xml: &[u8]) -> HashMap<u32, ObjectSettings> {
    let mut out: HashMap<u32, ObjectSettings> = HashMap::new();
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    // The element names open above the current one.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut object: Option<u32> = None;
    // PrusaSlicer volume being read: its triangle range.
    let mut volume: Option<RangeInclusive<u32>> = None;
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(_) => break,
        };
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                match stack.pop().as_deref() {
                    Some(b"object") => object = None,
                    Some(b"volume") => volume = None,
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if stack.len() > 16 {
            break;
        }
        let name = e.local_name().as_ref().to_vec();
        let attr = |key: &str| {
            e.attributes()
                .flatten()
                .find(|a| a.key.as_ref() == key.as_bytes())
                .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
        };
        let parent = stack.last().map(Vec::as_slice);
        match (parent, name.as_slice()) {
            (Some(b"config"), b"object") => {
                object = attr("id").and_then(|v| v.parse().ok());
                if let Some(id) = object {
                    out.entry(id).or_default();
                }
            }
            (Some(b"object"), b"metadata") => {
                // PrusaSlicer: type="object" key="name"; Bambu: key="name".
                if let (Some(id), Some("name")) = (object, attr("key").as_deref())
                    && attr("type").is_none_or(|t| t == "object")
                    && let Some(v) = attr("value").as_deref().and_then(super::model::name_value)
                {
                    out.entry(id).or_default().name = Some(v);
                }
            }
            (Some(b"object"), b"volume") => {
                let first = attr("firstid").and_then(|v| v.parse::<u32>().ok());
                let last = attr("lastid").and_then(|v| v.parse::<u32>().ok());
                volume = match (first, last) {
                    (Some(f), Some(l)) if f <= l => Some(f..=l),
                    _ => None,
                };
            }
            (Some(b"volume"), b"metadata") => {
                if let (Some(id), Some(range), Some("volume_type")) =
                    (object, volume.clone(), attr("key").as_deref())
                    && let Some(kind) = attr("value")
                        .filter(|v| v != "ModelPart")
                        .as_deref()
                        .and_then(super::model::name_value)
                {
                    out.entry(id)
                        .or_default()
                        .skipped_triangles
                        .push((range, kind));
                }
            }
            (Some(b"object"), b"part") => {
                let part = attr("id").and_then(|v| v.parse::<u32>().ok());
                let subtype = attr("subtype")
                    .as_deref()
                    .and_then(super::model::name_value);
                if let (Some(id), Some(part), Some(subtype)) = (object, part, subtype)
                    && subtype != "normal_part"
                {
                    out.entry(id)
                        .or_default()
                        .skipped_components
                        .push((part, subtype));
                }
            }
            _ => {}
        }
        if !empty {
            stack.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prusaslicer_names_and_modifier_ranges() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<config>
 <object id="1" instances_count="2">
  <metadata type="object" key="name" value="bracket.stl"/>
  <volume firstid="0" lastid="11">
   <metadata type="volume" key="name" value="bracket.stl"/>
   <metadata type="volume" key="volume_type" value="ModelPart"/>
  </volume>
  <volume firstid="12" lastid="23">
   <metadata type="volume" key="volume_type" value="ParameterModifier"/>
  </volume>
 </object>
</config>"#;
        let s = parse(xml);
        assert_eq!(s[&1].name.as_deref(), Some("bracket.stl"));
        assert_eq!(
            s[&1].skipped_triangles,
            vec![(12..=23, "ParameterModifier".to_string())]
        );
    }

    #[test]
    fn reads_bambu_names_and_modifier_parts() {
        let xml = br#"<config>
  <object id="4">
    <metadata key="name" value="Gear"/>
    <part id="1" subtype="normal_part"><metadata key="name" value="Gear"/></part>
    <part id="2" subtype="modifier_part"><metadata key="name" value="box"/></part>
  </object>
  <plate><metadata key="plater_id" value="1"/></plate>
</config>"#;
        let s = parse(xml);
        assert_eq!(s[&4].name.as_deref(), Some("Gear"));
        assert_eq!(
            s[&4].skipped_components,
            vec![(2, "modifier_part".to_string())]
        );
    }
}
