//! Powder-bed (SLS/MJF) estimate. Not built yet: see the quote issue.
