//! Process profiles: the machine and material parameters that decide material and time.

pub mod fdm;
pub mod sla;
mod sla_ini;
pub mod sls;

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {}: {source}", path.display())]
    Io {
        /// The path asked for.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A value is missing, malformed or out of range.
    #[error("profile key `{key}`: {message}")]
    Invalid {
        /// The offending key (as in the file).
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The TOML does not parse.
    #[error("profile TOML: {0}")]
    Toml(String),
}
