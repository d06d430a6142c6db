//! The files a command works on: files as given, folders searched for meshes.

use std::path::{Path, PathBuf};

use super::Failure;

/// File endings a directory is searched for (case-insensitive).
pub const MESH_EXTENSIONS: [&str; 5] = [".stl", ".obj", ".stl.gz", ".obj.gz", ".3mf"];

/// One entry of a batch: a file to read, or an entry of a folder that could not be
/// listed (reported as that entry's failure; the batch goes on).
#[derive(Debug, Clone)]
pub struct Input {
    /// The path to read.
    pub path: PathBuf,
    /// The name printed for it (the path as found).
    pub name: String,
    /// Why it cannot be read, found while listing.
    pub problem: Option<Failure>,
}

impl Input {
    fn file(path: PathBuf) -> Input {
        Input {
            name: path.display().to_string(),
            path,
            problem: None,
        }
    }
}

/// Files as given, directories replaced by the meshes in them (recursively, sorted by
/// name). A folder that cannot be listed is one failed entry, not the end of the batch;
/// a directory without meshes is a usage error: the user named the wrong folder.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = walk(p);
            if found.is_empty() {
                return Err(format!(
                    "{} holds no mesh files ({})",
                    p.display(),
                    MESH_EXTENSIONS.join(", ")
                ));
            }
            out.extend(found);
        } else {
            out.push(Input::file(p.clone()));
        }
    }
    Ok(out)
}

fn is_mesh_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    MESH_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// The meshes under `dir`. Links are not followed, so a link cycle cannot recurse
/// without end; a linked file is read as usual (the reader refuses what is not a
/// regular file).
fn walk(dir: &Path) -> Vec<Input> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) => {
                if !e.file_type().is_dir() && is_mesh_name(e.path()) {
                    out.push(Input::file(e.into_path()));
                }
            }
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let reason = e
                    .io_error()
                    .map(|io| io.to_string())
                    .unwrap_or_else(|| e.to_string());
                out.push(Input {
                    name: path.display().to_string(),
                    path,
                    problem: Some(Failure::new(
                        "unreadable_folder",
                        format!("cannot list this folder ({reason}); its meshes are skipped"),
                    )),
                });
            }
        }
    }
    out
}
