//! `handover medrec`: medicines reconciliation from the command line.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use handover_errors::ErrorCode;
use handover_medrec::{diff, NoDictionary, PracticeLine};

use crate::{print_json, CliError};

#[derive(Subcommand)]
pub enum MedrecCommand {
    /// A stored document's reconciliation against the patient's practice list: rows (each with
    /// its key), decisions, the 7-day due date, sign-off.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Decide one row (by its key in `medrec show`).
    Decide {
        id: i64,
        row: String,
        /// accept-hospital, keep-practice, query-hospital or not-applicable.
        #[arg(long)]
        choice: String,
        /// intentional-documented, intentional-undocumented or unintentional.
        #[arg(long)]
        intent: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// When the follow-up task is due (yyyy-mm-dd) for a query to the hospital or an
        /// on-hold medicine (default: 3 days for a query, 14 for reviewing a restart).
        #[arg(long)]
        follow_up_due: Option<String>,
        #[arg(long)]
        version: Option<i64>,
        #[command(flatten)]
        who: crate::work::As,
        #[arg(long)]
        json: bool,
    },
    /// Decide every undecided unchanged row at once (keep the practice version).
    ConfirmUnchanged {
        id: i64,
        #[arg(long)]
        version: Option<i64>,
        #[command(flatten)]
        who: crate::work::As,
        #[arg(long)]
        json: bool,
    },
    /// Reconciliations not signed off, oldest first, with their due dates (7 days from
    /// receipt, NICE QS120); overdue ones are marked.
    Due {
        #[arg(long, default_value_t = 200)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// The reconciliation's summary as Markdown (or HTML with --html), for printing. Recorded
    /// in the audit trail.
    Summary {
        id: i64,
        #[arg(long)]
        html: bool,
        #[command(flatten)]
        who: crate::work::As,
    },
    /// The signed-off reconciled list as a FHIR STU3 Bundle (List + MedicationStatement, JSON),
    /// to --out FILE or standard output. Recorded in the audit trail.
    Export {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        who: crate::work::As,
    },
    /// Sign off (pharmacists and GPs): the reconciled list becomes the practice list's next version.
    SignOff {
        id: i64,
        #[arg(long)]
        version: Option<i64>,
        #[command(flatten)]
        who: crate::work::As,
        #[arg(long)]
        json: bool,
    },
    /// Compare a discharge document's medicines with the practice's list (nothing stored).
    ///
    /// Prints {"rows": [{"category", "discharge_index", "practice_index", "basis", "flags", ...}]}:
    /// discharge_index is the line's index in `handover inspect --json`'s medications,
    /// practice_index its 0-based data row in the practice list (only the document's patient's
    /// rows take part). Every line of both lists is in exactly one row.
    Diff {
        #[arg(long)]
        document: PathBuf,
        /// CSV: nhs_number,code,name,dosage,route,type
        #[arg(long)]
        practice_list: PathBuf,
        /// An NHSBSA dm+d release directory: pairs lines across AMP, VMP and VTM and through
        /// changed codes. Without it, equal codes, then names.
        #[arg(long)]
        dmd: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

fn read(file: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(file).map_err(|e| {
        CliError::new(
            ErrorCode::FileUnreadable,
            format!("cannot read {}: {e}", file.display()),
        )
    })
}

fn choice<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, CliError> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_string())).map_err(|_| {
        CliError::new(
            ErrorCode::InvalidArgument,
            format!("unknown {what} {text:?}"),
        )
    })
}

fn now() -> String {
    handover_inbox::now_rfc3339()
}

pub fn run(what: MedrecCommand) -> Result<(), CliError> {
    match what {
        MedrecCommand::Show { id, json } => {
            let store = crate::open_store()?;
            let view = handover_workflow::medrec_view(&store, id)?;
            if json {
                print_json(&view);
            } else {
                println!(
                    "document {id}: {} row(s), {} undecided; due by {}{}",
                    view.rows.len(),
                    view.undecided,
                    view.due_by,
                    view.signed_off
                        .as_ref()
                        .map(|s| format!("; signed off by {} at {}", s.by, s.at))
                        .unwrap_or_default()
                );
                for r in &view.rows {
                    println!(
                        "  {:<8} {:<24} {}{}",
                        r.key,
                        serde_json::to_value(r.row.category)
                            .expect("serialises")
                            .as_str()
                            .unwrap_or(""),
                        r.row.detail.as_deref().unwrap_or(""),
                        r.decision
                            .as_ref()
                            .map(|d| format!(" -> {:?} by {}", d.choice, d.stamp.by))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        MedrecCommand::Decide {
            id,
            row,
            choice: c,
            intent,
            note,
            follow_up_due,
            version,
            who,
            json,
        } => {
            let store = crate::open_store()?;
            let actor = who.actor(&store)?;
            let r = handover_workflow::medrec_decide(
                &store,
                &actor,
                id,
                version,
                handover_workflow::MedDecisionInput {
                    row: row.clone(),
                    choice: choice("choice", &c)?,
                    intent: intent.as_deref().map(|i| choice("intent", i)).transpose()?,
                    note,
                    follow_up_due,
                },
                &now(),
            )?;
            if json {
                print_json(&r);
            } else {
                println!("document {id}: row {row} decided (version {})", r.version);
            }
            Ok(())
        }
        MedrecCommand::ConfirmUnchanged {
            id,
            version,
            who,
            json,
        } => {
            let store = crate::open_store()?;
            let actor = who.actor(&store)?;
            let (r, n) =
                handover_workflow::medrec_confirm_unchanged(&store, &actor, id, version, &now())?;
            if json {
                print_json(&serde_json::json!({"step": r, "confirmed": n}));
            } else {
                println!(
                    "document {id}: {n} unchanged row(s) confirmed (version {})",
                    r.version
                );
            }
            Ok(())
        }
        MedrecCommand::Due { limit, json } => {
            let store = crate::open_store()?;
            let (rows, total) = store.medrec_due(limit)?;
            let today = handover_workflow::medrec::uk_day_of(&now())
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let due = handover_workflow::medrec::due_by(&r.received_at);
                    let mut v = serde_json::to_value(r).expect("serialises");
                    v["due_by"] = serde_json::json!(due);
                    v["overdue"] = serde_json::json!(!due.is_empty() && due < today);
                    v
                })
                .collect();
            if json {
                print_json(&serde_json::json!({"total": total, "due": items}));
            } else {
                println!("{total} reconciliation(s) not signed off");
                for v in &items {
                    println!(
                        "  document {:<6} due {}{}  {}  {}",
                        v["document_id"],
                        v["due_by"].as_str().unwrap_or(""),
                        if v["overdue"] == true { " OVERDUE" } else { "" },
                        v["patient_name"].as_str().unwrap_or("(no name)"),
                        v["title"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
        MedrecCommand::Summary { id, html, who } => {
            let store = crate::open_store()?;
            let actor = who.actor(&store)?;
            let summary = handover_workflow::medrec_summary(&store, id)?;
            handover_workflow::record_medrec_export(
                &store,
                &actor,
                id,
                handover_workflow::MedrecExportFormat::Summary,
                &now(),
            )?;
            print!("{}", if html { summary.html } else { summary.markdown });
            Ok(())
        }
        MedrecCommand::Export { id, out, who } => {
            let store = crate::open_store()?;
            let actor = who.actor(&store)?;
            let at = now();
            let bundle = handover_workflow::medrec_fhir_bundle(&store, id, &at)?;
            let text = serde_json::to_string_pretty(&bundle).expect("a Bundle serialises");
            match &out {
                Some(path) => std::fs::write(path, format!("{text}\n")).map_err(|e| {
                    CliError::new(
                        ErrorCode::SaveFailed,
                        format!("cannot write {}: {e}", path.display()),
                    )
                })?,
                None => println!("{text}"),
            }
            handover_workflow::record_medrec_export(
                &store,
                &actor,
                id,
                handover_workflow::MedrecExportFormat::Fhir,
                &at,
            )?;
            if let Some(path) = out {
                eprintln!("the reconciled list was written to {}", path.display());
            }
            Ok(())
        }
        MedrecCommand::SignOff {
            id,
            version,
            who,
            json,
        } => {
            let store = crate::open_store()?;
            let actor = who.actor(&store)?;
            let r = handover_workflow::medrec_sign_off(&store, &actor, id, version, &now())?;
            let view = handover_workflow::medrec_view(&store, id)?;
            if json {
                print_json(&serde_json::json!({"step": r, "practice_list": view.practice_list}));
            } else {
                println!(
                    "document {id}: reconciliation signed off; the practice list has a new version"
                );
            }
            Ok(())
        }
        MedrecCommand::Diff {
            document,
            practice_list,
            dmd,
            json,
        } => {
            let release = dmd
                .as_deref()
                .map(handover_medrec::DmdRelease::read_dir)
                .transpose()?;
            let parsed = handover_toc::parse(&read(&document)?);
            let Some(doc) = parsed.document else {
                return Err(CliError::new(
                    ErrorCode::Unreadable,
                    format!("{} holds no readable document", document.display()),
                ));
            };
            let text = String::from_utf8(read(&practice_list)?).map_err(|_| {
                CliError::new(ErrorCode::Input, "the practice list is not UTF-8 text")
            })?;
            let all = handover_medrec::practice::read_csv(&text).map_err(|e| {
                CliError::new(
                    ErrorCode::Input,
                    format!("{}: {e}", practice_list.display()),
                )
            })?;
            // Only the document's patient's rows take part; indices stay the file's.
            let nhs = doc.patient.as_ref().and_then(|p| p.nhs_number.clone());
            let mine: Vec<(usize, PracticeLine)> = all
                .into_iter()
                .enumerate()
                .filter(|(_, l)| nhs.as_deref().is_none_or(|n| l.nhs_number == n))
                .collect();
            let lines: Vec<PracticeLine> = mine.iter().map(|(_, l)| l.clone()).collect();
            let dict: &dyn handover_medrec::Dictionary = match &release {
                Some(r) => r,
                None => &NoDictionary,
            };
            let mut result = diff(&doc.medications, &lines, dict);
            for row in &mut result.rows {
                row.practice_index = row.practice_index.map(|k| mine[k].0);
                for o in &mut row.others {
                    *o = mine[*o].0;
                }
            }
            if json {
                print_json(&result);
            } else {
                for r in &result.rows {
                    let left = r
                        .discharge_index
                        .and_then(|i| doc.medications[i].name.clone())
                        .unwrap_or_default();
                    let right = r
                        .practice_index
                        .and_then(|j| mine.iter().find(|(k, _)| *k == j))
                        .map(|(_, l)| l.name.clone())
                        .unwrap_or_default();
                    let flags = r
                        .flags
                        .iter()
                        .map(|f| {
                            serde_json::to_value(f)
                                .expect("flags serialise")
                                .as_str()
                                .unwrap_or("")
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    println!(
                        "{:<26} {:<45} | {:<45} {}{}",
                        serde_json::to_value(r.category)
                            .expect("serialises")
                            .as_str()
                            .unwrap_or(""),
                        left,
                        right,
                        if flags.is_empty() {
                            String::new()
                        } else {
                            format!("[{flags}] ")
                        },
                        r.detail.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
    }
}
