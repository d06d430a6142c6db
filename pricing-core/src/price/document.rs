//! The documents a file gives, item by item: what `pricing analyze|estimate|quote --json`
//! print and what the worker stores.
//!
//! A file is read into a [`Loaded`] whose `items` are what the customer orders (a 3MF's
//! build items, the bodies of a split STL, an OBJ's groups, or the whole file).
//! [`analyze_file`] measures the whole file and every item; the three documents then
//! carry the whole file's `analysis` and one entry per item in `items`:
//!
//! - [`AnalysisDocument`]: each item's `name`, `quantity` and `analysis`;
//! - [`EstimateDocument`]: plus each item's `estimate`;
//! - [`QuoteDocument`]: plus each item's `price`, and the file's `price`, the order.
//!
//! **One print or several.** A file of one item, once ([`AnalysedFile::is_one_print`]),
//! is priced as one print exactly as before items existed: its item *is* the file, and
//! the top-level `estimate` and `price` are the item's. A file of several items (or one
//! item placed several times) is priced item by item: each item is one order line with
//! its own estimate and price (quantity = the item's instances × the requested
//! quantity), the top-level `estimate` is `null`, and the top-level `price` is the
//! order ([`order_price`]): every line summed over the items, its `total` the sum of the
//! items' totals plus the order-level fees (the price book has none today: every fee is
//! charged per line, see `docs/price-book.md`).
//!
//! **Units.** A 3MF declares its unit, so each item is in millimetres already. An STL or
//! OBJ does not: the unit is detected once, on the whole file, and applied to every body,
//! so the bodies of one file never end up in different units.

use rayon::prelude::*;
use serde::Serialize;

use super::{QuoteError, QuoteRequest, Quoter};
use crate::analysis::{self, Analysis, Part, Scaling};
use crate::cancel::{Cancel, Cancelled};
use crate::estimate::{Estimate, EstimateError};
use crate::mesh::{self, Loaded, ReadLimits};
use crate::price::{Quote, QuoteLine};

/// One item of a file as measured: its name, how many, and its part (`None` when the
/// item is the whole file, whose part is [`AnalysedFile::whole`]).
#[derive(Debug, Clone)]
pub struct AnalysedItem {
    /// The name the file gives it, else `#n` for the n-th item.
    pub name: String,
    /// The 3MF part number, when there is one.
    pub part_number: Option<String>,
    /// Instances in the file (build items of one object placed by rigid motions).
    pub quantity: u32,
    /// The item's own part in mm on the bed; `None` for the whole file.
    pub part: Option<Part>,
}

/// A file read and measured: the whole file as one part, and its items.
#[derive(Debug, Clone)]
pub struct AnalysedFile {
    /// The file name as given.
    pub file: String,
    /// The whole file as one print (a 3MF: the plate with every printable item).
    pub whole: Part,
    /// What the customer orders, in file order.
    pub items: Vec<AnalysedItem>,
}

impl AnalysedFile {
    /// Whether the file is one part printed once: then it is priced as one print and its
    /// item is the whole file.
    pub fn is_one_print(&self) -> bool {
        matches!(self.items.as_slice(), [only] if only.quantity == 1)
    }

    /// The part of `item`: its own, or the whole file's.
    pub fn item_part<'a>(&'a self, item: &'a AnalysedItem) -> &'a Part {
        item.part.as_ref().unwrap_or(&self.whole)
    }
}

/// Analyses a read file: the whole mesh, and each item's own mesh when the file has more
/// than one print (see the module doc for units). A one-print file's item is the whole
/// file and is not analysed twice.
pub fn analyze_file(
    file: &str,
    mut loaded: Loaded,
    scaling: Scaling,
    cancel: &Cancel,
) -> Result<AnalysedFile, Cancelled> {
    let items = std::mem::take(&mut loaded.items);
    let one_print = matches!(items.as_slice(), [only] if only.quantity == 1);
    let format = loaded.format;
    let declared = loaded.declared_unit;
    // An item without a mesh of its own is the whole file; only a file of several
    // prints needs that mesh again after the whole is analysed.
    let whole_mesh =
        (!one_print && items.iter().any(|i| i.mesh.is_none())).then(|| loaded.mesh.clone());
    let whole = analysis::analyze_loaded_with(loaded, scaling, cancel)?;
    let name_of = |i: usize, item: &mesh::Item| {
        item.name
            .clone()
            .or_else(|| item.part_number.clone())
            // Not the file name: the worker's cache gives one document to every job with
            // the same bytes, whatever each job names its file.
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    if one_print {
        let item = &items[0];
        return Ok(AnalysedFile {
            file: file.to_string(),
            items: vec![AnalysedItem {
                name: name_of(0, item),
                part_number: item.part_number.clone(),
                quantity: 1,
                part: None,
            }],
            whole,
        });
    }
    let mut whole = whole;
    // The whole file's "several shells, priced as one print" is not true of a file
    // priced item by item.
    whole
        .analysis
        .warnings
        .retain(|w| w.code != "multiple_bodies");
    // Without a declared unit the whole file's unit (detected or given) is every
    // body's: the factor is applied as is and the report is the file's.
    let item_scaling = match declared {
        Some(_) => scaling,
        None => Scaling::Factor(whole.analysis.units.scale_to_mm),
    };
    let analysed: Result<Vec<AnalysedItem>, Cancelled> = items
        .into_par_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = name_of(i, &item);
            let item_mesh = match (item.mesh, &whole_mesh) {
                (Some(m), _) => m,
                (None, Some(m)) => m.clone(),
                // `whole_mesh` is kept whenever an item has no mesh of its own.
                (None, None) => whole.mesh.clone(),
            };
            let mut part =
                analysis::analyze_declared_with(item_mesh, format, declared, item_scaling, cancel)?;
            if declared.is_none() {
                part.analysis.units = whole.analysis.units.clone();
            }
            Ok(AnalysedItem {
                name,
                part_number: item.part_number,
                quantity: item.quantity,
                part: Some(part),
            })
        })
        .collect();
    Ok(AnalysedFile {
        file: file.to_string(),
        whole,
        items: analysed?,
    })
}

/// One item of a file in a document: `estimate` and `price` where the command computes
/// them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ItemDocument {
    /// The name the file gives the item (3MF object, OBJ group), else `#n` for the n-th item.
    pub name: String,
    /// The 3MF part number, when the file has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
    /// How many are ordered: in `analyze` and `estimate` the instances in the file, in
    /// `quote` those × the requested quantity (the item's `price.quantity`).
    pub quantity: u32,
    /// The item measured, in mm after its transform and unit.
    pub analysis: Analysis,
    /// The estimate of one of it (`estimate`, `quote`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    /// Its order line (`quote`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Quote>,
}

impl ItemDocument {
    fn analysed(file: &AnalysedFile, item: &AnalysedItem) -> ItemDocument {
        ItemDocument {
            name: item.name.clone(),
            part_number: item.part_number.clone(),
            quantity: item.quantity,
            analysis: file.item_part(item).analysis.clone(),
            estimate: None,
            price: None,
        }
    }
}

/// What `pricing analyze --json` prints per file: the whole file's analysis (its fields
/// at the top level) and the items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AnalysisDocument {
    /// The file name as given.
    pub file: String,
    /// The whole file measured.
    #[serde(flatten)]
    pub analysis: Analysis,
    /// Each item with its own analysis.
    pub items: Vec<ItemDocument>,
}

impl AnalysisDocument {
    /// The document of an analysed file.
    pub fn new(file: &AnalysedFile) -> AnalysisDocument {
        AnalysisDocument {
            file: file.file.clone(),
            analysis: file.whole.analysis.clone(),
            items: file
                .items
                .iter()
                .map(|i| ItemDocument::analysed(file, i))
                .collect(),
        }
    }
}

/// What `pricing estimate --json` prints per file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EstimateDocument {
    /// The file name as given.
    pub file: String,
    /// The whole file measured.
    pub analysis: Analysis,
    /// The file as one print; `null` when it has several items (see `items`).
    pub estimate: Option<Estimate>,
    /// Each item with its analysis and estimate.
    pub items: Vec<ItemDocument>,
}

/// Estimates every item of `file` with `estimator` (the profile's technology).
pub fn estimate_file(
    file: &AnalysedFile,
    estimator: impl Fn(&Part) -> Result<Estimate, EstimateError> + Sync,
) -> Result<EstimateDocument, QuoteError> {
    let items: Vec<ItemDocument> = file
        .items
        .par_iter()
        .map(|item| {
            let estimate =
                estimator(file.item_part(item)).map_err(|e| in_item(file, item, e.into()))?;
            Ok(ItemDocument {
                estimate: Some(estimate),
                ..ItemDocument::analysed(file, item)
            })
        })
        .collect::<Result<_, QuoteError>>()?;
    let estimate = if file.is_one_print() {
        items.first().and_then(|i| i.estimate.clone())
    } else {
        None
    };
    Ok(EstimateDocument {
        file: file.file.clone(),
        analysis: file.whole.analysis.clone(),
        estimate,
        items,
    })
}

/// One priced file: what `pricing quote --json` prints per line and what the worker
/// returns. It holds no timings, so the same input gives the same document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuoteDocument {
    /// The file name as given.
    pub file: String,
    /// The whole file measured (a 3MF: the plate with every printable item).
    pub analysis: Analysis,
    /// The estimate of the file as one print on the machine priced; `null` when the file
    /// has several items (each has its own).
    pub estimate: Option<Estimate>,
    /// The price of the file: for one print its line, otherwise the order (every item's
    /// lines summed; `total` = the items' totals + order-level fees).
    pub price: Quote,
    /// Each item with its analysis, estimate and order line.
    pub items: Vec<ItemDocument>,
}

impl QuoteDocument {
    /// The document of a one-print file `file` (its one item named `name`), measured as
    /// `analysis` and priced as `estimate` and `price`: what `--compare` prints per
    /// option.
    pub fn one_print(
        file: &str,
        name: &str,
        analysis: Analysis,
        estimate: Estimate,
        price: Quote,
    ) -> Self {
        QuoteDocument {
            file: file.to_string(),
            items: vec![ItemDocument {
                name: name.to_string(),
                part_number: None,
                quantity: price.quantity,
                analysis: analysis.clone(),
                estimate: Some(estimate.clone()),
                price: Some(price.clone()),
            }],
            analysis,
            estimate: Some(estimate),
            price,
        }
    }
}

/// An item's error, named by the item when the file has several.
fn in_item(file: &AnalysedFile, item: &AnalysedItem, e: QuoteError) -> QuoteError {
    if file.is_one_print() || matches!(e, QuoteError::Cancelled(_)) {
        e
    } else {
        QuoteError::Item {
            name: item.name.clone(),
            source: Box::new(e),
        }
    }
}

/// Prices every item of an analysed file and the file as an order.
pub fn quote_file(
    quoter: &Quoter,
    file: &AnalysedFile,
    request: &QuoteRequest,
    cancel: &Cancel,
) -> Result<QuoteDocument, QuoteError> {
    request.validate()?;
    let items: Vec<ItemDocument> = file
        .items
        .par_iter()
        .map(|item| {
            let line = QuoteRequest {
                quantity: item.quantity.saturating_mul(request.quantity),
                ..request.clone()
            };
            let (estimate, price) = quoter
                .quote_with_cancel(file.item_part(item), &line, cancel)
                .map_err(|e| in_item(file, item, e))?;
            Ok(ItemDocument {
                quantity: price.quantity,
                estimate: Some(estimate),
                price: Some(price),
                ..ItemDocument::analysed(file, item)
            })
        })
        .collect::<Result<_, QuoteError>>()?;
    let (estimate, price) = match items.as_slice() {
        [only] if file.is_one_print() => match (&only.estimate, &only.price) {
            (Some(e), Some(p)) => (Some(e.clone()), p.clone()),
            // Every item above was given both.
            _ => (None, order_price(quoter, &items)),
        },
        _ => (None, order_price(quoter, &items)),
    };
    Ok(QuoteDocument {
        file: file.file.clone(),
        analysis: file.whole.analysis.clone(),
        estimate,
        price,
        items,
    })
}

/// The order of a file of several items: each line label summed over the items (in
/// whole rounding steps, so the lines still add up to the total exactly), the total the
/// sum of the items' totals (the book has no order-level fee), `quantity` the parts in
/// the order and `unit_price` the mean per part. Machine, material, technology and
/// orientation are the items' when they agree, else the distinct values joined by `, `
/// (technology: the first item's). No warnings of its own: each item carries its own.
pub fn order_price(quoter: &Quoter, items: &[ItemDocument]) -> Quote {
    let book = quoter.price_book();
    let step = book.rounding;
    let steps = |x: f64| -> i64 {
        let s = (x / step).round();
        if s.is_finite() { s as i64 } else { 0 }
    };
    let money = |s: i64| {
        let r = (s as f64 * step * 1e6).round() / 1e6;
        if r == 0.0 { 0.0 } else { r }
    };
    let quotes: Vec<&Quote> = items.iter().filter_map(|i| i.price.as_ref()).collect();
    let mut labels: Vec<(&'static str, i64)> = Vec::new();
    for q in &quotes {
        for l in &q.lines {
            match labels.iter_mut().find(|(label, _)| *label == l.label) {
                Some((_, s)) => *s += steps(l.amount),
                None => labels.push((l.label, steps(l.amount))),
            }
        }
    }
    let total_steps: i64 = quotes.iter().map(|q| steps(q.total)).sum();
    let quantity: u32 = quotes
        .iter()
        .map(|q| q.quantity)
        .fold(0, u32::saturating_add);
    let joined = |f: &dyn Fn(&Quote) -> String| {
        let mut seen: Vec<String> = Vec::new();
        for q in &quotes {
            let v = f(q);
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join(", ")
    };
    let first = quotes.first();
    Quote {
        unit_price: money(steps(money(total_steps) / f64::from(quantity.max(1)))),
        quantity,
        total: money(total_steps),
        currency: book.currency.clone(),
        lines: labels
            .into_iter()
            .map(|(label, s)| QuoteLine {
                label,
                amount: money(s),
            })
            .collect(),
        lead_time: first.map(|q| q.lead_time).unwrap_or_default(),
        lead_time_days: quotes.iter().map(|q| q.lead_time_days).max().unwrap_or(0),
        machine: joined(&|q| q.machine.clone()),
        material: joined(&|q| q.material.clone()),
        technology: first
            .map(|q| q.technology)
            .unwrap_or(crate::estimate::Technology::Fdm),
        orientation: joined(&|q| q.orientation.clone()),
        warnings: Vec::new(),
        pricing_version: book.pricing_version(),
    }
}

/// Reads, analyses, estimates and prices one file's bytes.
pub fn quote_bytes(
    quoter: &Quoter,
    file: &str,
    bytes: &[u8],
    request: &QuoteRequest,
    limits: &ReadLimits,
) -> Result<QuoteDocument, QuoteError> {
    quote_bytes_with(quoter, file, bytes, request, limits, &Cancel::never())
}

/// [`quote_bytes`], polling `cancel` while reading, analysing, estimating and pricing: a
/// cancelled call returns [`QuoteError::Cancelled`] (code `cancelled`) within one chunk of
/// work.
pub fn quote_bytes_with(
    quoter: &Quoter,
    file: &str,
    bytes: &[u8],
    request: &QuoteRequest,
    limits: &ReadLimits,
    cancel: &Cancel,
) -> Result<QuoteDocument, QuoteError> {
    request.validate()?;
    let scaling = request.scaling()?;
    let loaded = mesh::read_bytes_with(bytes, limits, cancel)?;
    quote_loaded(quoter, file, loaded, scaling, request, cancel)
}

/// Analyses, estimates and prices a read file, item by item: what [`quote_bytes_with`]
/// does after reading, and what the CLI calls on the files it reads (after
/// [`Loaded::split_bodies`] for `--split-bodies`). `scaling` replaces the request's
/// `scale` and `units`.
pub fn quote_loaded(
    quoter: &Quoter,
    file: &str,
    loaded: Loaded,
    scaling: Scaling,
    request: &QuoteRequest,
    cancel: &Cancel,
) -> Result<QuoteDocument, QuoteError> {
    request.validate()?;
    let analysed = analyze_file(file, loaded, scaling, cancel)?;
    quote_file(quoter, &analysed, request, cancel)
}

/// Estimates and prices one part already read and analysed as a one-print file
/// (`part.analysis` becomes the document's).
pub fn quote_part(
    quoter: &Quoter,
    file: &str,
    part: Part,
    request: &QuoteRequest,
    cancel: &Cancel,
) -> Result<QuoteDocument, QuoteError> {
    let (estimate, price) = quoter.quote_with_cancel(&part, request, cancel)?;
    Ok(QuoteDocument::one_print(
        file,
        "#1",
        part.analysis,
        estimate,
        price,
    ))
}
