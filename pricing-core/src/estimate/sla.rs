//! Resin (SLA/MSLA) estimate. Not built yet: see the quote issue.
