//! Warnings: problems worth a look that do not stop the work.

use serde::Serialize;

/// A problem found on the way, as a stable code and a message for people.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable machine-readable code, e.g. `open_edges`.
    pub code: &'static str,
    /// What is wrong and, where useful, what to do.
    pub message: String,
}

impl Warning {
    /// A warning with a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Warning {
        Warning {
            code,
            message: message.into(),
        }
    }
}
