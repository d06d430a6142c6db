//! Reads a 3MF with lib3mf-core 0.4 or threemf2 0.4 and prints the build items found
//! (root part, and sub-model parts for threemf2), the time, or the error.
use std::io::Cursor;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let path = args.next().unwrap_or_default();
    let t = Instant::now();
    match which.as_str() {
        "lib3mf" => {
            use lib3mf_core::archive::{ArchiveReader, ZipArchiver, find_model_path};
            let r = (|| -> Result<String, Box<dyn std::error::Error>> {
                let file = std::fs::File::open(&path)?;
                let mut a = ZipArchiver::new(file)?;
                let p = find_model_path(&mut a)?;
                let data = a.read_entry(&p)?;
                let m = lib3mf_core::parser::parse_model(Cursor::new(data))?;
                Ok(format!("{} build items, unit {:?}", m.build.items.len(), m.unit))
            })();
            println!("lib3mf-core {path}: {:?} in {:.3} s", r.map_err(|e| e.to_string()), t.elapsed().as_secs_f64());
        }
        _ => {
            let r = (|| -> Result<String, Box<dyn std::error::Error>> {
                let file = std::fs::File::open(&path)?;
                let p = threemf2::package::ThreemfPackage::from_reader_with_memory_optimized_deserializer(file, true)?;
                Ok(format!("{} build items, {} sub-model parts", p.root.build.item.len(), p.sub_models.len()))
            })();
            println!("threemf2 {path}: {:?} in {:.3} s", r.map_err(|e| e.to_string()), t.elapsed().as_secs_f64());
        }
    }
}
