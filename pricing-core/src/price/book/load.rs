//! The price book's TOML loader and validator.
//!
//! Loading walks the TOML table by hand instead of deriving `Deserialize` for the whole
//! book: serde stops at the first problem, and a price book author wants every problem,
//! each with its field path and what is expected, in one run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::{Table, Value};

use super::{
    Fees, FieldError, LeadTimeRule, Machine, Material, MaterialPrice, PriceBook, PriceBookErrors,
    Process, QuantityTier,
};
use crate::calibration::MachineCalibration;
use crate::estimate::Technology;
use crate::price::LeadTime;
use crate::profile::fdm::FdmProfile;
use crate::profile::sla::SlaProfile;
use crate::profile::sls::SlsProfile;
use crate::profile::{LoadedProfile, ProfileBuilder, ProfileError};
use crate::warning::Warning;

/// Reads and validates a price book; profile paths in it are relative to `base`.
pub(super) fn parse(text: &str, base: Option<&Path>) -> Result<PriceBook, PriceBookErrors> {
    let table: Table = toml::from_str(text).map_err(|e| PriceBookErrors {
        errors: vec![FieldError {
            path: "(toml)".into(),
            message: e.to_string().trim().replace('\n', " "),
        }],
    })?;
    let mut w = Walker::default();
    let mut hasher = blake3::Hasher::new();
    hasher.update(toml::to_string(&table).unwrap_or_default().as_bytes());

    w.keys(
        &table,
        "",
        &[
            "currency",
            "margin",
            "rounding",
            "default_material",
            "fees",
            "quantity_tiers",
            "lead_times",
            "machines",
            "materials",
        ],
    );
    let currency = match w.string(&table, "", "currency") {
        Some(c) if c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()) => c,
        Some(c) => {
            w.err(
                "currency",
                format!("expected a 3-letter ISO 4217 code like \"EUR\", got {c:?}"),
            );
            c
        }
        None => String::new(),
    };
    let margin = w.num(&table, "", "margin", Some(0.0), Rule::NonNegative);
    let rounding = w.num(&table, "", "rounding", Some(0.01), Rule::Positive);
    if rounding > 0.0 && rounding < 1e-4 {
        w.err(
            "rounding",
            format!("must be at least 0.0001, got {rounding}"),
        );
    }

    let fees_t = w.table(&table, "", "fees");
    w.keys(
        &fees_t,
        "fees",
        &[
            "setup_per_line",
            "handling_per_part",
            "support_removal_per_cm2",
            "minimum_per_line",
        ],
    );
    let fees = Fees {
        setup_per_line: w.num(
            &fees_t,
            "fees",
            "setup_per_line",
            Some(0.0),
            Rule::NonNegative,
        ),
        handling_per_part: w.num(
            &fees_t,
            "fees",
            "handling_per_part",
            Some(0.0),
            Rule::NonNegative,
        ),
        support_removal_per_cm2: w.num(
            &fees_t,
            "fees",
            "support_removal_per_cm2",
            Some(0.0),
            Rule::NonNegative,
        ),
        minimum_per_line: w.num(
            &fees_t,
            "fees",
            "minimum_per_line",
            Some(0.0),
            Rule::NonNegative,
        ),
    };

    let quantity_tiers = w.tiers(&table);
    let lead_times = w.lead_times(&table);

    let mut machines = BTreeMap::new();
    let machines_t = w.table(&table, "", "machines");
    if machines_t.is_empty() {
        w.err(
            "machines",
            "expected at least one machine table, e.g. [machines.mk4]",
        );
    }
    for (name, v) in &machines_t {
        let path = format!("machines.{name}");
        let Some(t) = w.as_table(v, &path) else {
            continue;
        };
        if let Some(m) = w.machine(name, t, &path, base, &mut hasher) {
            machines.insert(name.clone(), m);
        }
    }

    let mut materials = BTreeMap::new();
    let materials_t = w.table(&table, "", "materials");
    if materials_t.is_empty() {
        w.err(
            "materials",
            "expected at least one material table, e.g. [materials.PLA]",
        );
    }
    for (name, v) in &materials_t {
        let path = format!("materials.{name}");
        let Some(t) = w.as_table(v, &path) else {
            continue;
        };
        if let Some(m) = w.material(name, t, &path, &machines_t, &machines) {
            materials.insert(name.clone(), m);
        }
    }

    let default_material = w.string(&table, "", "default_material").unwrap_or_default();
    if !default_material.is_empty() && !materials_t.contains_key(&default_material) {
        w.err(
            "default_material",
            format!(
                "unknown material {default_material:?}; expected one of: {}",
                join_keys(&materials_t)
            ),
        );
    }

    if !w.errors.is_empty() {
        return Err(PriceBookErrors { errors: w.errors });
    }
    Ok(PriceBook {
        currency,
        margin,
        rounding,
        default_material,
        fees,
        quantity_tiers,
        lead_times,
        machines,
        materials,
        hash: hasher.finalize().to_hex().to_string(),
        warnings: w.warnings,
    })
}

fn join_keys(t: &Table) -> String {
    if t.is_empty() {
        return "(none)".into();
    }
    t.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Integer(i) => format!("{i}"),
        Value::Float(f) => format!("{f}"),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Table(_) => "a table".into(),
    }
}

#[derive(Clone, Copy)]
enum Rule {
    NonNegative,
    Positive,
    /// 0 ≤ x < 1.
    Fraction,
}

impl Rule {
    fn expected(self) -> &'static str {
        match self {
            Rule::NonNegative => "a number ≥ 0",
            Rule::Positive => "a number > 0",
            Rule::Fraction => "a fraction ≥ 0 and < 1",
        }
    }
    fn ok(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Rule::NonNegative => x >= 0.0,
                Rule::Positive => x > 0.0,
                Rule::Fraction => (0.0..1.0).contains(&x),
            }
    }
}

#[derive(Default)]
struct Walker {
    errors: Vec<FieldError>,
    /// Notes that do not stop the book (profile keys the estimate does not model).
    warnings: Vec<Warning>,
}

impl Walker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Flags keys that the book does not know: a typo must not silently drop a fee.
    fn keys(&mut self, t: &Table, path: &str, known: &[&str]) {
        for k in t.keys() {
            if !known.contains(&k.as_str()) {
                self.err(
                    join(path, k),
                    format!("unknown key; expected one of: {}", known.join(", ")),
                );
            }
        }
    }

    fn as_table<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Table> {
        match v {
            Value::Table(t) => Some(t),
            other => {
                self.err(path, format!("expected a table, got {}", describe(other)));
                None
            }
        }
    }

    fn table(&mut self, t: &Table, path: &str, key: &str) -> Table {
        match t.get(key) {
            None => Table::new(),
            Some(v) => self
                .as_table(v, &join(path, key))
                .cloned()
                .unwrap_or_default(),
        }
    }

    fn num(&mut self, t: &Table, path: &str, key: &str, default: Option<f64>, rule: Rule) -> f64 {
        let p = join(path, key);
        let x = match t.get(key) {
            None => match default {
                Some(d) => return d,
                None => {
                    self.err(p, format!("missing; expected {}", rule.expected()));
                    return 0.0;
                }
            },
            Some(Value::Integer(i)) => *i as f64,
            Some(Value::Float(f)) => *f,
            Some(other) => {
                self.err(
                    p,
                    format!("expected {}, got {}", rule.expected(), describe(other)),
                );
                return 0.0;
            }
        };
        if !rule.ok(x) {
            let what = match rule {
                Rule::NonNegative => "must be ≥ 0",
                Rule::Positive => "must be > 0",
                Rule::Fraction => "must be a fraction ≥ 0 and < 1",
            };
            self.err(p, format!("{what}, got {x}"));
        }
        x
    }

    fn uint(&mut self, t: &Table, path: &str, key: &str, min: u32) -> u32 {
        let p = join(path, key);
        match t.get(key) {
            Some(Value::Integer(i)) if *i >= i64::from(min) && *i <= i64::from(u32::MAX) => {
                *i as u32
            }
            None => {
                self.err(p, format!("missing; expected a whole number ≥ {min}"));
                min
            }
            Some(other) => {
                self.err(
                    p,
                    format!("expected a whole number ≥ {min}, got {}", describe(other)),
                );
                min
            }
        }
    }

    fn string(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        match t.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            None => {
                self.err(join(path, key), "missing; expected a string");
                None
            }
            Some(other) => {
                self.err(
                    join(path, key),
                    format!("expected a string, got {}", describe(other)),
                );
                None
            }
        }
    }

    fn technology(&mut self, t: &Table, path: &str) -> Option<Technology> {
        let s = self.string(t, path, "technology")?;
        match s.as_str() {
            "fdm" => Some(Technology::Fdm),
            "sla" => Some(Technology::Sla),
            "sls" => Some(Technology::Sls),
            _ => {
                self.err(
                    join(path, "technology"),
                    format!("expected \"fdm\", \"sla\" or \"sls\", got {s:?}"),
                );
                None
            }
        }
    }

    fn tiers(&mut self, table: &Table) -> Vec<QuantityTier> {
        let mut tiers = Vec::new();
        let items = match table.get("quantity_tiers") {
            None => return tiers,
            Some(Value::Array(a)) => a.clone(),
            Some(other) => {
                self.err(
                    "quantity_tiers",
                    format!(
                        "expected an array of tables ([[quantity_tiers]]), got {}",
                        describe(other)
                    ),
                );
                return tiers;
            }
        };
        for (i, v) in items.iter().enumerate() {
            let path = format!("quantity_tiers[{i}]");
            let Some(t) = self.as_table(v, &path) else {
                continue;
            };
            self.keys(t, &path, &["min_quantity", "discount"]);
            let min_quantity = self.uint(t, &path, "min_quantity", 1);
            let discount = self.num(t, &path, "discount", None, Rule::Fraction);
            if let Some(prev) = tiers.last().copied() {
                let prev: QuantityTier = prev;
                if min_quantity <= prev.min_quantity {
                    self.err(
                        format!("{path}.min_quantity"),
                        format!(
                            "tiers must be in increasing min_quantity; expected > {}, got {min_quantity}",
                            prev.min_quantity
                        ),
                    );
                }
                if discount < prev.discount {
                    self.err(
                        format!("{path}.discount"),
                        format!(
                            "a larger quantity must not get a smaller discount (the unit price would rise); expected ≥ {}, got {discount}",
                            prev.discount
                        ),
                    );
                }
            }
            tiers.push(QuantityTier {
                min_quantity,
                discount,
            });
        }
        tiers
    }

    fn lead_times(&mut self, table: &Table) -> BTreeMap<LeadTime, LeadTimeRule> {
        let t = self.table(table, "", "lead_times");
        self.keys(&t, "lead_times", &["standard", "express", "rush"]);
        let mut out = BTreeMap::new();
        let mut prev: Option<(LeadTime, LeadTimeRule)> = None;
        for lt in LeadTime::ALL {
            let path = format!("lead_times.{lt}");
            let Some(v) = t.get(lt.as_str()) else {
                self.err(
                    path,
                    "missing; expected a table with `surcharge` and `days`",
                );
                continue;
            };
            let Some(lt_t) = self.as_table(v, &path) else {
                continue;
            };
            self.keys(lt_t, &path, &["surcharge", "days"]);
            let rule = LeadTimeRule {
                surcharge: self.num(lt_t, &path, "surcharge", None, Rule::NonNegative),
                days: self.uint(lt_t, &path, "days", 0),
            };
            if let Some((p_lt, p)) = prev {
                if rule.surcharge < p.surcharge {
                    self.err(
                        format!("{path}.surcharge"),
                        format!(
                            "a faster lead time must not cost less; expected ≥ {p_lt}'s {}, got {}",
                            p.surcharge, rule.surcharge
                        ),
                    );
                }
                if rule.days > p.days {
                    self.err(
                        format!("{path}.days"),
                        format!(
                            "a faster lead time must not take longer; expected ≤ {p_lt}'s {}, got {}",
                            p.days, rule.days
                        ),
                    );
                }
            }
            prev = Some((lt, rule));
            out.insert(lt, rule);
        }
        out
    }

    fn machine(
        &mut self,
        name: &str,
        t: &Table,
        path: &str,
        base: Option<&Path>,
        hasher: &mut blake3::Hasher,
    ) -> Option<Machine> {
        self.keys(
            t,
            path,
            &[
                "technology",
                "build_volume",
                "hourly_rate",
                "profile",
                "calibration",
            ],
        );
        let technology = self.technology(t, path);
        let hourly_rate = self.num(t, path, "hourly_rate", None, Rule::NonNegative);
        let bv_path = join(path, "build_volume");
        let mut build_volume_mm = [0.0; 3];
        match t.get("build_volume") {
            Some(Value::Array(a)) if a.len() == 3 => {
                for (i, v) in a.iter().enumerate() {
                    let x = match v {
                        Value::Integer(i) => *i as f64,
                        Value::Float(f) => *f,
                        _ => f64::NAN,
                    };
                    if !(x.is_finite() && x > 0.0) {
                        self.err(
                            format!("{bv_path}[{i}]"),
                            format!("expected a size in mm > 0, got {}", describe(v)),
                        );
                    }
                    build_volume_mm[i] = x;
                }
            }
            None => self.err(bv_path, "missing; expected [x, y, z] in mm"),
            Some(other) => self.err(
                bv_path,
                format!("expected [x, y, z] in mm, got {}", describe(other)),
            ),
        }
        let technology = technology?;
        let calibration = self.calibration(t, path, technology, base, hasher);
        let ppath = join(path, "profile");
        let process = match (technology, t.get("profile")) {
            // A calibrated machine without a profile prints with the calibration's: the
            // profile its G-code was sliced with.
            (Technology::Fdm, None) => Process::Fdm(Box::new(
                calibration
                    .as_ref()
                    .map(|c| c.profile.clone())
                    .unwrap_or_default(),
            )),
            (Technology::Fdm, Some(Value::String(file))) => {
                let file = resolve(base, file);
                if let Ok(bytes) = std::fs::read(&file) {
                    hasher.update(&bytes);
                }
                let loaded = FdmProfile::load(&file);
                Process::Fdm(Box::new(self.fdm_profile(loaded, &ppath)?))
            }
            (Technology::Fdm, Some(Value::Table(t))) => {
                let loaded = ProfileBuilder::new()
                    .load_toml_table(t)
                    .and_then(ProfileBuilder::build);
                Process::Fdm(Box::new(self.fdm_profile(loaded, &ppath)?))
            }
            (Technology::Sla, Some(Value::String(file))) if file.ends_with(".ini") => {
                // A PrusaSlicer SLA profile, read as the slicer reads it.
                let file = resolve(base, file);
                if let Ok(bytes) = std::fs::read(&file) {
                    hasher.update(&bytes);
                }
                match SlaProfile::load(&file) {
                    Ok(p) => Process::Sla(Box::new(p)),
                    Err(e) => {
                        self.err(ppath, e.to_string());
                        return None;
                    }
                }
            }
            (Technology::Sla, v) => {
                let p: SlaProfile = self.profile(v, &ppath, base, hasher)?;
                for (k, m) in p.problems() {
                    self.err(format!("{ppath}.{k}"), m);
                }
                Process::Sla(Box::new(p))
            }
            (Technology::Sls, v) => {
                let p: SlsProfile = self.profile(v, &ppath, base, hasher)?;
                for (k, m) in p.problems() {
                    self.err(format!("{ppath}.{k}"), m);
                }
                Process::Sls(p)
            }
            (Technology::Fdm, Some(other)) => {
                self.err(
                    ppath,
                    format!(
                        "expected a path to a .ini/.toml profile or a table, got {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        if let (Some(c), Process::Fdm(p)) = (&calibration, &process)
            && c.profile != **p
        {
            self.warnings.push(Warning::new(
                "calibration_profile_differs",
                format!(
                    "{path}: the machine's profile differs from the one its calibration was learnt with; the constants correct that profile's estimates, not this one's"
                ),
            ));
        }
        Some(Machine {
            name: name.to_string(),
            technology,
            build_volume_mm,
            hourly_rate,
            process,
            calibration: calibration.map(Arc::new),
        })
    }

    /// `calibration = "file.toml"` (relative to the book): FDM machines only.
    fn calibration(
        &mut self,
        t: &Table,
        path: &str,
        technology: Technology,
        base: Option<&Path>,
        hasher: &mut blake3::Hasher,
    ) -> Option<MachineCalibration> {
        let cpath = join(path, "calibration");
        match (t.get("calibration"), technology) {
            (None, _) => None,
            (Some(Value::String(file)), Technology::Fdm) => {
                let file = resolve(base, file);
                match MachineCalibration::load(&file) {
                    Ok((c, warnings)) => {
                        hasher.update(c.hash.as_bytes());
                        for w in warnings {
                            self.warnings
                                .push(Warning::new(w.code, format!("{cpath}: {}", w.message)));
                        }
                        Some(c)
                    }
                    Err(e) => {
                        self.err(cpath, e.to_string());
                        None
                    }
                }
            }
            (Some(_), Technology::Fdm) => {
                self.err(
                    cpath,
                    "expected the path of a calibration file from `pricing calibrate`",
                );
                None
            }
            (Some(_), other) => {
                self.err(
                    cpath,
                    format!("a calibration applies to FDM machines (learnt from G-code); this one is {other}"),
                );
                None
            }
        }
    }

    /// An FDM profile's problems become errors at `path` (each key's own path), its
    /// warnings the book's warnings.
    fn fdm_profile(
        &mut self,
        loaded: Result<LoadedProfile, ProfileError>,
        path: &str,
    ) -> Option<FdmProfile> {
        match loaded {
            Ok(l) => {
                for w in l.warnings {
                    self.warnings
                        .push(Warning::new(w.code, format!("{path}: {}", w.message)));
                }
                Some(l.profile)
            }
            Err(ProfileError::Problems { problems }) => {
                for p in problems {
                    self.err(join(path, &p.key), p.message);
                }
                None
            }
            Err(e) => {
                self.err(path, e.to_string());
                None
            }
        }
    }

    /// A resin or powder profile: absent (defaults), an inline table, or a TOML file.
    fn profile<T>(
        &mut self,
        v: Option<&Value>,
        path: &str,
        base: Option<&Path>,
        hasher: &mut blake3::Hasher,
    ) -> Option<T>
    where
        T: Default + serde::de::DeserializeOwned,
    {
        match v {
            None => Some(T::default()),
            Some(v @ Value::Table(_)) => match v.clone().try_into::<T>() {
                Ok(p) => Some(p),
                Err(e) => {
                    self.err(path, toml_error(&e));
                    None
                }
            },
            Some(Value::String(file)) => {
                let file = resolve(base, file);
                let text = match crate::text_file::read(&file) {
                    Ok(t) => t,
                    Err(e) => {
                        self.err(path, format!("cannot read {}: {e}", file.display()));
                        return None;
                    }
                };
                hasher.update(text.as_bytes());
                match toml::from_str::<T>(&text) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        self.err(path, format!("{}: {}", file.display(), toml_error(&e)));
                        None
                    }
                }
            }
            Some(other) => {
                self.err(
                    path,
                    format!(
                        "expected a table or a path to a TOML profile, got {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    fn material(
        &mut self,
        name: &str,
        t: &Table,
        path: &str,
        machines_t: &Table,
        machines: &BTreeMap<String, Machine>,
    ) -> Option<Material> {
        self.keys(
            t,
            path,
            &[
                "technology",
                "density",
                "price_per_kg",
                "price_per_litre",
                "waste",
                "machines",
            ],
        );
        let technology = self.technology(t, path);
        let density = self.num(t, path, "density", None, Rule::Positive);
        let waste = self.num(t, path, "waste", Some(0.0), Rule::NonNegative);
        let price = match (
            t.contains_key("price_per_kg"),
            t.contains_key("price_per_litre"),
        ) {
            (true, false) => {
                MaterialPrice::PerKg(self.num(t, path, "price_per_kg", None, Rule::NonNegative))
            }
            (false, true) => MaterialPrice::PerLitre(self.num(
                t,
                path,
                "price_per_litre",
                None,
                Rule::NonNegative,
            )),
            (true, true) => {
                self.err(
                    path,
                    "both price_per_kg and price_per_litre are set; expected exactly one",
                );
                MaterialPrice::PerKg(0.0)
            }
            (false, false) => {
                self.err(
                    join(path, "price_per_kg"),
                    "missing; expected price_per_kg or price_per_litre (a number ≥ 0)",
                );
                MaterialPrice::PerKg(0.0)
            }
        };
        let mpath = join(path, "machines");
        let mut names = Vec::new();
        match t.get("machines") {
            Some(Value::Array(a)) if !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    let ipath = format!("{mpath}[{i}]");
                    let Value::String(m) = v else {
                        self.err(
                            ipath,
                            format!("expected a machine name, got {}", describe(v)),
                        );
                        continue;
                    };
                    if !machines_t.contains_key(m) {
                        self.err(
                            ipath,
                            format!(
                                "unknown machine {m:?}; expected one of: {}",
                                join_keys(machines_t)
                            ),
                        );
                        continue;
                    }
                    if let (Some(machine), Some(tech)) = (machines.get(m), technology)
                        && machine.technology != tech
                    {
                        self.err(
                            ipath,
                            format!(
                                "machine {m:?} prints {} but {name} is a {tech} material; expected a {tech} machine",
                                machine.technology
                            ),
                        );
                    }
                    names.push(m.clone());
                }
            }
            None => self.err(mpath, "missing; expected a non-empty list of machine names"),
            Some(other) => self.err(
                mpath,
                format!(
                    "expected a non-empty list of machine names, got {}",
                    describe(other)
                ),
            ),
        }
        Some(Material {
            name: name.to_string(),
            technology: technology?,
            density,
            price,
            waste,
            machines: names,
        })
    }
}

fn resolve(base: Option<&Path>, file: &str) -> PathBuf {
    let p = PathBuf::from(file);
    match base {
        Some(b) if p.is_relative() => b.join(p),
        _ => p,
    }
}

fn toml_error(e: &toml::de::Error) -> String {
    e.to_string().trim().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::super::EMBEDDED_TOML;
    use super::*;

    #[test]
    fn embedded_book_is_valid() {
        let b = PriceBook::from_toml_str(EMBEDDED_TOML).unwrap();
        assert_eq!(b.currency, "EUR");
        assert!(b.machines.values().any(|m| m.technology == Technology::Sla));
        assert!(b.machines.values().any(|m| m.technology == Technology::Sls));
        assert_eq!(b.hash().len(), 64);
    }

    #[test]
    fn hash_ignores_comments_but_not_prices() {
        let a = PriceBook::from_toml_str(EMBEDDED_TOML).unwrap();
        let b = PriceBook::from_toml_str(&format!("# a comment\n{EMBEDDED_TOML}")).unwrap();
        assert_eq!(a.hash(), b.hash());
        let c = PriceBook::from_toml_str(&EMBEDDED_TOML.replace("margin = 0.35", "margin = 0.36"))
            .unwrap();
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn every_error_is_reported_with_its_path() {
        let text = r#"
currency = "euro"
margin = -1
[fees]
setup_per_line = "ten"
[lead_times.standard]
surcharge = 0.5
days = 2
[lead_times.express]
surcharge = 0.1
days = 3
[machines.mk4]
technology = "fdm"
build_volume = [250, 0, 220]
hourly_rate = -3
[machines.sl1]
technology = "sla"
build_volume = [1, 1, 1]
hourly_rate = 1
[machines.sl1.profile]
layer_height = 0
[materials.PLA]
technology = "fdm"
density = 1.2
price_per_kg = -5
machines = ["mk5", "sl1"]
"#;
        let e = PriceBook::from_toml_str(text).unwrap_err();
        let paths: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        for p in [
            "currency",
            "margin",
            "fees.setup_per_line",
            "lead_times.express.surcharge",
            "lead_times.express.days",
            "lead_times.rush",
            "machines.mk4.build_volume[1]",
            "machines.mk4.hourly_rate",
            "machines.sl1.profile.layer_height",
            "materials.PLA.price_per_kg",
            "materials.PLA.machines[0]",
            "materials.PLA.machines[1]",
            "default_material",
        ] {
            assert!(paths.contains(&p), "{p} missing from {paths:?}");
        }
        assert!(
            e.to_string()
                .contains("machines.mk4.hourly_rate: must be ≥ 0, got -3")
        );
    }

    #[test]
    fn sla_machine_names_a_prusaslicer_ini() {
        let dir = std::env::temp_dir().join(format!("pricing-book-sla-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("resin.ini"),
            "layer_height = 0.1\nexposure_time = 6\nnot_a_key = 1\n",
        )
        .unwrap();
        let book = EMBEDDED_TOML.replace(
            "[machines.sl1s.profile]\nlayer_height = 0.05",
            "[machines.sl1s.profile_unused]\nlayer_height = 0.05",
        );
        let book = book.replace(
            "hourly_rate = 2.5\n",
            "hourly_rate = 2.5\nprofile = \"resin.ini\"\n",
        );
        let book = book
            .lines()
            .filter(|l| !l.starts_with("[machines.sl1s.profile_unused]"))
            .filter(|l| !l.starts_with("exposure_time") && !l.starts_with("initial_exposure_time"))
            .collect::<Vec<_>>()
            .join("\n");
        // Drop the inline table's leftover key that followed its header.
        let book = book.replace(
            "hourly_rate = 2.5\nprofile = \"resin.ini\"\n\nlayer_height = 0.05",
            "hourly_rate = 2.5\nprofile = \"resin.ini\"\n",
        );
        let path = dir.join("book.toml");
        std::fs::write(&path, &book).unwrap();
        let b = PriceBook::load(&path).unwrap_or_else(|e| panic!("{e}\n{book}"));
        let Process::Sla(p) = &b.machines["sl1s"].process else {
            panic!("not sla")
        };
        assert_eq!(p.layer_height, 0.1);
        assert_eq!(p.exposure_time, 6.0);
        // Unset keys are PrusaSlicer's defaults, not the reference machine's.
        assert_eq!(p.initial_exposure_time, 15.0);
        assert!(
            p.load_warnings
                .iter()
                .any(|w| w.code == "unknown_profile_key")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
