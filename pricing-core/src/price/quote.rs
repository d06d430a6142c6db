//! The quote calculation.
//!
//! Per part: material, support material, machine time, support removal and handling,
//! each a cost with the margin added. Per line: those × quantity, the quantity discount,
//! the setup fee (spread over the parts), the minimum-price adjustment, then the
//! lead-time surcharge on the whole (after the minimum, so a faster lead time always
//! costs more). The unit price is rounded to the book's step and the total is
//! unit price × quantity; lines are rounded to the step too and a `rounding` line takes
//! the residue, so the lines sum to the total exactly (they are added in whole steps).

use serde::Serialize;

use super::book::{Machine, Material, PriceBook, Process};
use super::{LeadTime, MachineVolume, QuoteError, QuoteRequest};
use crate::analysis::Part;
use crate::cancel::Cancel;
use crate::estimate::{self, Estimate, Options, Technology};
use crate::fit::{self, Orientation};
use crate::warning::Warning;

/// One labelled amount of a quote.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteLine {
    /// What it is for, e.g. `material`, `machine time`.
    pub label: &'static str,
    /// Amount for the whole line (all parts), in the book's currency.
    pub amount: f64,
}

/// The price of one order line.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// Price per part.
    pub unit_price: f64,
    /// Parts.
    pub quantity: u32,
    /// `unit_price × quantity`.
    pub total: f64,
    /// ISO 4217 code.
    pub currency: String,
    /// Breakdown; sums to `total`.
    pub lines: Vec<QuoteLine>,
    /// The lead time priced.
    pub lead_time: LeadTime,
    /// Working days to ship.
    pub lead_time_days: u32,
    /// The machine priced.
    pub machine: String,
    /// The material priced.
    pub material: String,
    /// The machine's technology.
    pub technology: Technology,
    /// Orientation printed in: part axes along machine x, y, z (`x,y,z` = as drawn).
    pub orientation: String,
    /// Problems worth a look (estimate warnings and pricing notes).
    pub warnings: Vec<Warning>,
    /// Engine version + price book hash: enough to reproduce and audit the price.
    pub pricing_version: String,
}

/// Prices parts from a price book.
#[derive(Debug, Clone)]
pub struct Quoter {
    book: PriceBook,
}

impl Quoter {
    /// A quoter for `book`.
    pub fn new(book: PriceBook) -> Quoter {
        Quoter { book }
    }

    /// The price book.
    pub fn price_book(&self) -> &PriceBook {
        &self.book
    }

    /// Prices `part` (in mm, on the bed) as `request` asks.
    pub fn quote(&self, part: &Part, request: &QuoteRequest) -> Result<Quote, QuoteError> {
        self.quote_with_estimate(part, request).map(|(_, q)| q)
    }

    /// Like [`Quoter::quote`], also returning the estimate on the machine priced.
    pub fn quote_with_estimate(
        &self,
        part: &Part,
        request: &QuoteRequest,
    ) -> Result<(Estimate, Quote), QuoteError> {
        self.quote_with_cancel(part, request, &Cancel::never())
    }

    /// [`Quoter::quote_with_estimate`], polling `cancel` through every estimate: a
    /// cancelled quote returns [`QuoteError::Cancelled`] at once, whatever machines are
    /// left to try.
    pub fn quote_with_cancel(
        &self,
        part: &Part,
        request: &QuoteRequest,
        cancel: &Cancel,
    ) -> Result<(Estimate, Quote), QuoteError> {
        request.validate()?;
        let (material, machines) = self.candidates(request)?;
        let mut best: Option<(Estimate, Quote)> = None;
        let mut first_err = None;
        let mut tried = Vec::new();
        for machine in &machines {
            let size = required_size(part, machine, request.supports);
            tried.push(MachineVolume {
                machine: machine.name.clone(),
                build_volume_mm: machine.build_volume_mm,
            });
            let Some(orientation) = fit::fit(size, machine.build_volume_mm) else {
                continue;
            };
            match self.price_on(part, request, material, machine, orientation, cancel) {
                Ok(q) => {
                    if best.as_ref().is_none_or(|b| q.1.total < b.1.total) {
                        best = Some(q);
                    }
                }
                Err(e @ QuoteError::Cancelled(_)) => return Err(e),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if let Some(b) = best {
            return Ok(b);
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        Err(QuoteError::DoesNotFit {
            size_mm: part.analysis.bbox_mm.size,
            material: material.name.clone(),
            machines: tried,
        })
    }

    /// Prices `part` on every material and machine of the book that fits, cheapest
    /// first; `request.material` and `request.machine` are ignored.
    pub fn compare(&self, part: &Part, request: &QuoteRequest) -> Vec<(Estimate, Quote)> {
        let mut out = Vec::new();
        for material in self.book.materials.values() {
            for name in &material.machines {
                let r = QuoteRequest {
                    material: Some(material.name.clone()),
                    machine: Some(name.clone()),
                    ..request.clone()
                };
                if let Ok(q) = self.quote_with_estimate(part, &r) {
                    out.push(q);
                }
            }
        }
        out.sort_by(|a, b| a.1.total.total_cmp(&b.1.total));
        out
    }

    fn candidates(&self, request: &QuoteRequest) -> Result<(&Material, Vec<&Machine>), QuoteError> {
        let book = &self.book;
        let known_machines = || book.machines.keys().cloned().collect::<Vec<_>>().join(", ");
        let machine = match &request.machine {
            Some(name) => Some(
                book.machine(name)
                    .ok_or_else(|| QuoteError::UnknownMachine {
                        name: name.clone(),
                        known: known_machines(),
                    })?,
            ),
            None => None,
        };
        let material = match (&request.material, machine) {
            (Some(name), _) => book
                .material(name)
                .ok_or_else(|| QuoteError::UnknownMaterial {
                    name: name.clone(),
                    known: book
                        .materials
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
            (None, Some(m)) => book
                .material(&book.default_material)
                .filter(|mat| mat.machines.contains(&m.name))
                .or_else(|| {
                    book.materials
                        .values()
                        .find(|mat| mat.machines.contains(&m.name))
                })
                .ok_or_else(|| QuoteError::MachineNotAllowed {
                    machine: m.name.clone(),
                    material: "any material".into(),
                    allowed: "(no material lists it)".into(),
                })?,
            (None, None) => book.material(&book.default_material).ok_or_else(|| {
                QuoteError::UnknownMaterial {
                    name: book.default_material.clone(),
                    known: book
                        .materials
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })?,
        };
        let machines: Vec<&Machine> = match machine {
            Some(m) if material.machines.contains(&m.name) => vec![m],
            Some(m) => {
                return Err(QuoteError::MachineNotAllowed {
                    machine: m.name.clone(),
                    material: material.name.clone(),
                    allowed: material.machines.join(", "),
                });
            }
            None => material
                .machines
                .iter()
                .filter_map(|n| book.machines.get(n))
                .collect(),
        };
        Ok((material, machines))
    }

    fn price_on(
        &self,
        part: &Part,
        request: &QuoteRequest,
        material: &Material,
        machine: &Machine,
        orientation: Orientation,
        cancel: &Cancel,
    ) -> Result<(Estimate, Quote), QuoteError> {
        let rotated;
        let part = if orientation.is_as_is() {
            part
        } else {
            rotated = fit::rotate(part, orientation);
            &rotated
        };
        // The mass is computed once, by the estimator, from the material's density.
        let options = Options {
            density_g_cm3: Some(material.density),
            cancel: cancel.clone(),
        };
        let est = match &machine.process {
            Process::Fdm(p) => {
                let mut e = estimate::fdm::estimate_with_options(
                    part,
                    p,
                    request.supports,
                    &estimate::fdm::Calibration::default(),
                    &options,
                )?;
                if let Some(c) = &machine.calibration {
                    c.apply(&mut e);
                }
                e
            }
            Process::Sla(p) => {
                estimate::sla::estimate_with_options(part, p, request.supports, &options)?
            }
            Process::Sls(p) => {
                estimate::sls::estimate_with_options(part, p, machine.build_volume_mm, &options)?
            }
        };
        let mut warnings = est.warnings.clone();
        if !orientation.is_as_is() {
            warnings.push(Warning::new(
                "rotated_to_fit",
                format!(
                    "the part does not fit {} as drawn; it is priced laid as {} (part axes along x, y, z)",
                    machine.name,
                    orientation.name()
                ),
            ));
        }
        let quote = self.price(&est, request, material, machine, orientation, warnings);
        Ok((est, quote))
    }

    fn price(
        &self,
        est: &Estimate,
        request: &QuoteRequest,
        material: &Material,
        machine: &Machine,
        orientation: Orientation,
        mut warnings: Vec<Warning>,
    ) -> Quote {
        let book = &self.book;
        let q = f64::from(request.quantity);
        let m = 1.0 + book.margin;
        let powder = est.powder_refresh_mm3;
        let model_mm3 = (est.material_mm3 - est.support_mm3).max(0.0) + powder;
        let material_pp = material.cost(model_mm3) * m;
        let support_pp = material.cost(est.support_mm3) * m;
        let machine_pp = est.print_time_s / 3600.0 * machine.hourly_rate * m;
        let removal_pp =
            est.support_contact_area_mm2 / 100.0 * book.fees.support_removal_per_cm2 * m;
        let handling_pp = book.fees.handling_per_part * m;
        let per_part = material_pp + support_pp + machine_pp + removal_pp + handling_pp;
        let discount = book.discount(request.quantity);
        let setup = book.fees.setup_per_line * m;
        let subtotal = per_part * q * (1.0 - discount) + setup;
        let minimum_adj = (book.fees.minimum_per_line - subtotal).max(0.0);
        if minimum_adj > 0.0 {
            warnings.push(Warning::new(
                "minimum_price",
                format!(
                    "the line is below the minimum of {:.2} {}; the difference is added",
                    book.fees.minimum_per_line, book.currency
                ),
            ));
        }
        let rule =
            book.lead_times
                .get(&request.lead_time)
                .copied()
                .unwrap_or(super::LeadTimeRule {
                    surcharge: 0.0,
                    days: 0,
                });
        let surcharge = (subtotal + minimum_adj) * rule.surcharge;
        let raw_total = subtotal + minimum_adj + surcharge;

        // Whole steps of the rounding unit, so the breakdown adds up exactly.
        let step = book.rounding;
        let steps = |x: f64| -> i64 {
            let s = (x / step).round();
            if s.is_finite() { s as i64 } else { 0 }
        };
        let unit_steps = steps(raw_total / q);
        let total_steps = unit_steps.saturating_mul(i64::from(request.quantity));
        let raw_lines: [(&'static str, f64); 9] = [
            ("material", material_pp * q),
            ("support material", support_pp * q),
            ("machine time", machine_pp * q),
            ("support removal", removal_pp * q),
            ("handling", handling_pp * q),
            ("setup (amortized)", setup),
            ("quantity discount", -per_part * q * discount),
            ("minimum-price adjustment", minimum_adj),
            ("lead-time surcharge", surcharge),
        ];
        let mut lines_steps: Vec<(&'static str, i64)> =
            raw_lines.iter().map(|(l, a)| (*l, steps(*a))).collect();
        let sum: i64 = lines_steps.iter().map(|(_, s)| *s).sum();
        lines_steps.push(("rounding", total_steps - sum));
        let money = |s: i64| round_money(s as f64 * step);
        Quote {
            unit_price: money(unit_steps),
            quantity: request.quantity,
            total: money(total_steps),
            currency: book.currency.clone(),
            lines: lines_steps
                .into_iter()
                .map(|(label, s)| QuoteLine {
                    label,
                    amount: money(s),
                })
                .collect(),
            lead_time: request.lead_time,
            lead_time_days: rule.days,
            machine: machine.name.clone(),
            material: material.name.clone(),
            technology: machine.technology,
            orientation: orientation.name(),
            warnings,
            pricing_version: book.pricing_version(),
        }
    }
}

/// Strips float noise from `steps × step` (0.1 + 0.2 style) so the JSON shows 12.34.
fn round_money(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

/// The size a part needs on `machine`: resin supports and the pad lift it by the
/// elevation.
fn required_size(part: &Part, machine: &Machine, supports: bool) -> [f64; 3] {
    let mut s = part.analysis.bbox_mm.size;
    if let Process::Sla(p) = &machine.process {
        s[2] += p.elevation(supports && p.supports_enable);
    }
    s
}
