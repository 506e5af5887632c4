//! Medicines reconciliation's data from the command line: dm+d (`handover dmd import|lookup|
//! status`) and the practice's medication lists (`handover medlist import|show|versions`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use handover_errors::ErrorCode;
use handover_medrec::practice_import::{self, LineType};
use handover_medrec::{ConceptKind, Dictionary, DmdRelease};
use handover_store::{
    DmdConcept, DmdKind, DmdStatus, MedicationLineType, PracticeListLine, PracticeListSource, Store,
};

use crate::{open_store, print_json, CliError};

#[derive(Subcommand)]
pub enum DmdCommand {
    /// Import an NHSBSA dm+d XML release (the directory holding f_vtm2_*.xml, f_vmp2_*.xml,
    /// f_amp2_*.xml and, if present, HISTORIC_CODES/), replacing the release imported before.
    Import {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Look a dm+d code up (current or previous): its concept, VMP and VTM.
    Lookup {
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Which release is imported.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum MedlistCommand {
    /// Import practice medication lists: CSV (header nhs_number,code,name,dosage,route,type)
    /// or a FHIR STU3 Bundle (XML or JSON) of MedicationStatement / MedicationRequest. Each
    /// patient's list becomes a new version; bad rows are reported and not imported (nor is
    /// the rest of that patient's list).
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// A patient's list (the latest version, or --version N).
    Show {
        nhs: String,
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// The versions of a patient's list, newest first.
    Versions {
        nhs: String,
        #[arg(long)]
        json: bool,
    },
}

pub use handover_workflow::StoreDictionary;

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Replaces the store's dm+d with `release` (`handover dmd import`, and `bench dmd`).
pub fn import_release(
    store: &Store,
    release: &DmdRelease,
    at: &str,
) -> Result<DmdStatus, CliError> {
    // One concept at a time, straight from the release: no second copy of it.
    let concepts = release.concepts().map(|c| DmdConcept {
        code: c.code.clone(),
        kind: match c.kind {
            ConceptKind::Vtm => DmdKind::Vtm,
            ConceptKind::Vmp => DmdKind::Vmp,
            ConceptKind::Amp => DmdKind::Amp,
        },
        name: c.name.clone(),
        vmp: c.vmp.clone(),
        vtm: c.vtm.clone(),
    });
    Ok(store.import_dmd(
        concepts,
        release.previous_codes(),
        &release.info.release,
        release.info.date.as_deref(),
        at,
    )?)
}

pub fn dmd(what: DmdCommand) -> Result<(), CliError> {
    match what {
        DmdCommand::Import { dir, json } => {
            // Read the whole release before the store is touched: a bad release changes nothing.
            let release = DmdRelease::read_dir(&dir)?;
            let store = open_store()?;
            let status = import_release(&store, &release, &now())?;
            if json {
                print_json(&serde_json::json!({
                    "vtm": status.vtm,
                    "vmp": status.vmp,
                    "amp": status.amp,
                    "previous_codes": status.previous_codes,
                    "release": status.release,
                    "release_date": status.release_date,
                }));
            } else {
                println!(
                    "imported dm+d release {}{}: {} VTM, {} VMP, {} AMP, {} previous codes",
                    status.release,
                    status
                        .release_date
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default(),
                    status.vtm,
                    status.vmp,
                    status.amp,
                    status.previous_codes
                );
            }
        }
        DmdCommand::Lookup { code, json } => {
            let store = open_store()?;
            let dict = StoreDictionary(&store);
            let Some(c) = dict.lookup(&code) else {
                let why = match store.dmd_status()? {
                    None => "no dm+d release is imported (handover dmd import DIR)".to_string(),
                    Some(s) => format!("dm+d release {} does not know {}", s.release, code.trim()),
                };
                return Err(CliError::new(ErrorCode::DmdCodeUnknown, why));
            };
            let vmp = c
                .vmp
                .as_deref()
                .filter(|v| *v != c.code)
                .and_then(|v| dict.lookup(v));
            let vtm = c
                .vtm
                .as_deref()
                .filter(|v| *v != c.code)
                .and_then(|v| dict.lookup(v));
            if json {
                let mut out = serde_json::to_value(&c).expect("a concept serialises");
                out["previous_code"] = (c.code != code.trim()).then(|| code.trim()).into();
                out["vmp_name"] = vmp.map(|v| v.name).into();
                out["vtm_name"] = vtm.map(|v| v.name).into();
                print_json(&out);
            } else {
                println!("{} {:?} {}", c.code, c.kind, c.name);
                if let Some(v) = vmp {
                    println!("  VMP {} {}", v.code, v.name);
                }
                if let Some(v) = vtm {
                    println!("  VTM {} {}", v.code, v.name);
                }
            }
        }
        DmdCommand::Status { json } => {
            let status = open_store()?.dmd_status()?;
            if json {
                print_json(&status);
            } else {
                match status {
                    None => println!("no dm+d release imported"),
                    Some(s) => println!(
                        "dm+d release {} imported {}: {} VTM, {} VMP, {} AMP",
                        s.release, s.imported_at, s.vtm, s.vmp, s.amp
                    ),
                }
            }
        }
    }
    Ok(())
}

fn nhs_arg(nhs: &str) -> Result<String, CliError> {
    let n: String = nhs.chars().filter(|c| !c.is_whitespace()).collect();
    if handover_toc::nhs::nhs_number_valid(&n) {
        Ok(n)
    } else {
        Err(CliError::new(
            ErrorCode::InvalidArgument,
            format!("\"{nhs}\" is not a valid NHS number"),
        ))
    }
}

fn read_text(file: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(file).map_err(|e| {
        CliError::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {}: {e}", file.display()),
        )
    })
}

pub fn medlist(what: MedlistCommand) -> Result<(), CliError> {
    match what {
        MedlistCommand::Import { file, json } => {
            let text = read_text(&file)?;
            let read = practice_import::read_lists(&text)?;
            let lists: Vec<(String, Vec<PracticeListLine>)> = read
                .patients
                .iter()
                .map(|(nhs, lines)| {
                    let lines = lines
                        .iter()
                        .map(|l| PracticeListLine {
                            code: l.code.clone(),
                            name: l.name.clone(),
                            dosage: l.dosage.clone(),
                            route: l.route.clone(),
                            line_type: match l.line_type {
                                LineType::Repeat => MedicationLineType::Repeat,
                                LineType::Acute => MedicationLineType::Acute,
                            },
                        })
                        .collect();
                    (nhs.clone(), lines)
                })
                .collect();
            let store = open_store()?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let at = now();
            // The lists and the audit trail's record of the import, in one transaction.
            store.atomically(|s| {
                s.write_practice_lists(&lists, PracticeListSource::Import, name.as_deref(), &at)?;
                let actor = handover_workflow::system_actor(s)?;
                handover_workflow::record(
                    s,
                    &actor,
                    &at,
                    &handover_workflow::WorkEvent::MedicationListsImported {
                        patients: read.patients.len() as u64,
                        lines: read.lines() as u64,
                        rejected: read.rejected.len() as u64,
                        file: name.clone(),
                    },
                )?;
                Ok::<_, CliError>(())
            })?;
            if json {
                print_json(&serde_json::json!({
                    "patients": read.patients.len(),
                    "lines": read.lines(),
                    "rejected": read.rejected,
                    "skipped": read.skipped,
                }));
            } else {
                println!(
                    "imported {} lines for {} patients; rejected {}; skipped {} not current",
                    read.lines(),
                    read.patients.len(),
                    read.rejected.len(),
                    read.skipped
                );
                for r in &read.rejected {
                    println!("  line {}: {}", r.line, r.reason);
                }
            }
        }
        MedlistCommand::Show { nhs, version, json } => {
            let nhs = nhs_arg(&nhs)?;
            let store = open_store()?;
            let list = match version {
                Some(v) => store.practice_list_version(&nhs, v)?,
                None => store.practice_list(&nhs)?,
            }
            .ok_or_else(|| {
                CliError::new(
                    ErrorCode::MedicationListNotFound,
                    match version {
                        Some(v) => {
                            format!("no version {v} of a medication list for NHS number {nhs}")
                        }
                        None => format!("no medication list for NHS number {nhs}"),
                    },
                )
            })?;
            if json {
                print_json(&list);
            } else {
                println!(
                    "NHS number {}: version {}, imported {} ({})",
                    list.nhs_number, list.version, list.imported_at, list.source
                );
                for l in &list.lines {
                    println!(
                        "  {:<18} {:<50} {:<40} {:<12} {}",
                        l.code.as_deref().unwrap_or("-"),
                        l.name,
                        l.dosage.as_deref().unwrap_or(""),
                        l.route.as_deref().unwrap_or(""),
                        l.line_type
                    );
                }
            }
        }
        MedlistCommand::Versions { nhs, json } => {
            let nhs = nhs_arg(&nhs)?;
            let versions = open_store()?.practice_list_versions(&nhs)?;
            if json {
                print_json(&versions);
            } else {
                for v in &versions {
                    println!(
                        "version {}  {}  {}  {} lines",
                        v.version, v.imported_at, v.source, v.lines
                    );
                }
            }
        }
    }
    Ok(())
}
