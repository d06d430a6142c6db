//! The models root: a `file://` model must resolve (after `..` and symlinks) to a regular
//! file inside it. Everything wrong with a path is permanent: retrying cannot fix it.

use std::path::{Path, PathBuf};

use crate::retry::{JobError, permanent, transient};
use crate::sanitize;

/// Longest path accepted, bytes (Linux' PATH_MAX).
pub const MAX_PATH: usize = 4096;

/// The canonical models root.
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    /// The root `dir`, canonicalised; an error says why it is not usable.
    pub fn new(dir: &Path) -> Result<Sandbox, String> {
        let root = std::fs::canonicalize(dir)
            .map_err(|e| format!("models root {} is not usable: {e}", dir.display()))?;
        Ok(Sandbox { root })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves `path` (from a `file://` URI) to a regular file inside the root, with its
    /// size.
    pub fn resolve(&self, path: &str) -> Result<(PathBuf, u64), JobError> {
        let shown = sanitize::token(path);
        if path.contains('\0') {
            return Err(permanent(
                "bad_model_path",
                &format!("model path {shown} contains a NUL byte: send the path as it is on disk"),
            ));
        }
        if path.len() > MAX_PATH {
            return Err(permanent(
                "bad_model_path",
                &format!(
                    "model path is {} bytes, longer than any path ({MAX_PATH}): {shown}",
                    path.len()
                ),
            ));
        }
        // Canonicalise first (resolves `..` and symlinks), then check the prefix: a link
        // inside the root that points outside it is refused too.
        let real = std::fs::canonicalize(path).map_err(|err| io_error(path, &err))?;
        if !real.starts_with(&self.root) {
            return Err(permanent(
                "model_outside_root",
                &format!(
                    "model {shown} resolves to {} which is outside the models root {}: refused",
                    sanitize::token(&real.display().to_string()),
                    self.root.display()
                ),
            ));
        }
        let meta = std::fs::metadata(&real).map_err(|err| io_error(path, &err))?;
        if !meta.is_file() {
            return Err(permanent(
                "model_not_found",
                &format!("model {shown} is not a regular file"),
            ));
        }
        Ok((real, meta.len()))
    }
}

/// An I/O error on a model path: permanent when the path itself is wrong (missing, not
/// readable, a file used as a directory, a loop, a name too long, an invalid name),
/// transient otherwise (EIO, a stale NFS handle: the next read may work).
pub fn io_error(path: &str, err: &std::io::Error) -> JobError {
    use std::io::ErrorKind::*;
    let shown = sanitize::token(path);
    match err.kind() {
        NotFound => permanent(
            "model_not_found",
            &format!(
                "model {shown} does not exist: check the path (it must be inside the models root)"
            ),
        ),
        PermissionDenied => permanent(
            "model_unreadable",
            &format!("model {shown} is not readable by the worker: {err}"),
        ),
        NotADirectory | IsADirectory | InvalidFilename | InvalidInput => permanent(
            "bad_model_path",
            &format!("model path {shown} cannot name a file: {err}"),
        ),
        _ if is_path_errno(err) => permanent(
            "bad_model_path",
            &format!("model path {shown} cannot name a file: {err}"),
        ),
        _ => transient("io", &format!("reading {shown}: {err}")),
    }
}

/// ELOOP (too many symlinks) and ENAMETOOLONG, whose kinds are not all stable.
fn is_path_errno(err: &std::io::Error) -> bool {
    const ENOTDIR: i32 = 20;
    const ENAMETOOLONG: i32 = 36;
    const ELOOP: i32 = 40;
    cfg!(target_os = "linux") && matches!(err.raw_os_error(), Some(ENOTDIR | ENAMETOOLONG | ELOOP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<(PathBuf, u64), JobError>) -> (bool, String) {
        match r {
            Err(JobError::Permanent(i)) => (true, i.code),
            Err(JobError::Transient(i)) => (false, i.code),
            Ok(_) => (true, "ok".into()),
        }
    }

    #[test]
    fn bad_paths_are_permanent() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("a.stl"), b"x").unwrap_or_default();
        let s = Sandbox::new(&dir).unwrap_or_else(|e| panic!("{e}"));
        let d = dir.display();
        assert_eq!(code(s.resolve(&format!("{d}/a.stl"))), (true, "ok".into()));
        // ENOTDIR: a file used as a directory.
        assert_eq!(
            code(s.resolve(&format!("{d}/a.stl/b.stl"))),
            (true, "bad_model_path".into())
        );
        assert_eq!(
            code(s.resolve(&format!("{d}/a\0.stl"))),
            (true, "bad_model_path".into())
        );
        // One component over NAME_MAX (255): ENAMETOOLONG.
        let long = "n".repeat(300);
        assert_eq!(
            code(s.resolve(&format!("{d}/{long}.stl"))),
            (true, "bad_model_path".into())
        );
        assert_eq!(
            code(s.resolve(&"/x".repeat(3000))),
            (true, "bad_model_path".into())
        );
        assert_eq!(
            code(s.resolve(&format!("{d}/none.stl"))),
            (true, "model_not_found".into())
        );
        assert_eq!(
            code(s.resolve(&d.to_string())),
            (true, "model_not_found".into())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "sandbox-test-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        let _ = std::fs::create_dir_all(&d);
        d
    }
}
