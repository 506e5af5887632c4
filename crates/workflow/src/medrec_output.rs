//! What a reconciliation gives the practice to keep: a summary to print (Markdown, rendered
//! with pulldown-cmark with raw HTML shown as text, printed through the webview) and the
//! reconciled list as a FHIR STU3 Bundle (a `List` of `MedicationStatement`s about a
//! `Patient`), which `handover medlist import` reads back. Each one that leaves Handover is a
//! `medrec_exported` event.

use std::fmt::Write as _;

use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};

use handover_store::{Actor, PracticeListLine, Store};

use crate::commands::{StepResult, WorkflowError};
use crate::medrec::{
    medrec_view, uk_local_of, MedChoice, MedIntent, MedrecExportFormat, MedrecView,
};
use crate::permissions::Permission;
use crate::state::{Stamp, WorkEvent};
use crate::view::render_markdown;

/// The summary, as written and as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MedrecSummary {
    pub markdown: String,
    pub html: String,
    /// Not signed off yet: the summary says "draft" at its top.
    pub draft: bool,
}

/// Escapes text for Markdown so that it reads as written (a `|` never ends a cell, a `*`
/// never starts emphasis, a `<` never opens a tag, a `[` never starts a link). The text never
/// starts a line (it follows a list item's label or sits in a table cell), so the characters
/// that only matter there (`#`, `-`, `+`, `1.`) are left as they are, and the Markdown stays
/// readable as text.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn when(instant: &str) -> String {
    uk_local_of(instant)
        .map(|t| t.format("%d-%b-%Y %H:%M").to_string())
        .unwrap_or_else(|| instant.to_string())
}

fn day(ymd: &str) -> String {
    chrono::NaiveDate::parse_from_str(ymd, "%Y-%m-%d")
        .map(|d| d.format("%d-%b-%Y").to_string())
        .unwrap_or_else(|_| ymd.to_string())
}

fn who(s: &Stamp) -> String {
    match s.role {
        Some(r) => format!("{} ({})", s.by, r.label()),
        None => s.by.clone(),
    }
}

fn nhs_spaced(n: &str) -> String {
    if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    } else {
        n.to_string()
    }
}

fn choice_words(c: MedChoice) -> &'static str {
    match c {
        MedChoice::AcceptHospital => "Accept hospital's change",
        MedChoice::KeepPractice => "Keep practice version",
        MedChoice::QueryHospital => "Query hospital",
        MedChoice::NotApplicable => "Not applicable",
    }
}

fn intent_words(i: MedIntent) -> &'static str {
    match i {
        MedIntent::IntentionalDocumented => "intentional, documented",
        MedIntent::IntentionalUndocumented => "intentional, undocumented",
        MedIntent::Unintentional => "unintentional",
    }
}

fn line_words(name: &str, dosage: Option<&str>, route: Option<&str>) -> String {
    let mut s = md(name);
    if let Some(d) = dosage.filter(|d| !d.trim().is_empty()) {
        let _ = write!(s, ": {}", md(d));
    } else {
        s.push_str(": no dose given");
    }
    if let Some(r) = route.filter(|r| !r.trim().is_empty()) {
        let _ = write!(s, " ({})", md(r));
    }
    s
}

/// The reconciled list: the practice list version the sign-off wrote.
fn signed_off_list(
    store: &Store,
    view: &MedrecView,
    version: Option<i64>,
) -> Result<Option<handover_store::PracticeList>, WorkflowError> {
    match (&view.nhs_number, version) {
        (Some(n), Some(v)) => Ok(store.practice_list_version(n, v)?),
        _ => Ok(None),
    }
}

/// The summary of document `id`'s reconciliation, as Markdown and HTML.
pub fn medrec_summary(store: &Store, id: i64) -> Result<MedrecSummary, WorkflowError> {
    let view = medrec_view(store, id)?;
    let (work, state) = crate::commands::work_and_state(store, id)?;
    let draft = view.signed_off.is_none();
    let mut m = String::new();
    m.push_str("# Medicines reconciliation\n\n");
    if draft {
        let _ = writeln!(
            m,
            "**DRAFT: not signed off.** {} of {} rows decided. Do not act on this copy.\n",
            view.rows.len() as u32 - view.undecided,
            view.rows.len()
        );
    }
    let patient = work.patient_name.as_deref().unwrap_or("(no name given)");
    let _ = writeln!(
        m,
        "- **Patient:** {}, NHS number {}{}",
        md(patient),
        view.nhs_number
            .as_deref()
            .map(nhs_spaced)
            .unwrap_or_else(|| "not given".into()),
        work.birth_date
            .as_deref()
            .map(|b| format!(", born {}", day(b)))
            .unwrap_or_default()
    );
    let doc = store.document(id)?;
    let (title, sender) = doc
        .as_ref()
        .map(|d| (d.row.title.clone(), d.row.sender.clone()))
        .unwrap_or_default();
    let _ = writeln!(
        m,
        "- **Document:** {} from {}, received {} (document {id})",
        md(title.as_deref().unwrap_or("Transfer of care document")),
        md(sender.as_deref().unwrap_or("an unnamed sender")),
        when(&view.received_at)
    );
    match &view.practice_list {
        Some(l) => {
            let _ = writeln!(
                m,
                "- **Compared with:** practice list version {}, {} {}",
                l.version,
                if l.source == handover_store::PracticeListSource::Reconciliation {
                    "signed off from a reconciliation"
                } else {
                    "imported"
                },
                when(&l.imported_at)
            );
        }
        None => m.push_str("- **Compared with:** no practice list (none imported)\n"),
    }
    let _ = writeln!(
        m,
        "- **Due by:** {} (7 days from receipt, NICE QS120)",
        day(&view.due_by)
    );
    match &view.signed_off {
        Some(s) => {
            let _ = writeln!(m, "- **Signed off:** {}, {}", md(&who(s)), when(&s.at));
        }
        None => m.push_str("- **Signed off:** not yet\n"),
    }

    m.push_str("\n## Decisions\n\n");
    m.push_str("| Hospital's line | Practice's line | What changed | Decision |\n");
    m.push_str("|---|---|---|---|\n");
    let lines = view
        .practice_list
        .as_ref()
        .map(|l| l.lines.as_slice())
        .unwrap_or_default();
    let mut follow_ups = Vec::new();
    for r in &view.rows {
        let hospital = r
            .row
            .discharge_index
            .and_then(|i| view.discharge.get(i))
            .map(|d| {
                line_words(
                    d.name.as_deref().unwrap_or("(no name given)"),
                    d.dosage.as_deref(),
                    d.route.as_deref(),
                )
            })
            .unwrap_or_else(|| "not on the hospital's lists".into());
        let practice = r
            .row
            .practice_index
            .and_then(|j| lines.get(j))
            .map(|p| line_words(&p.name, p.dosage.as_deref(), p.route.as_deref()))
            .unwrap_or_else(|| "not on the practice list".into());
        let mut changed = md(crate::medrec::category_words(r.row.category));
        if let Some(d) = &r.row.detail {
            let _ = write!(changed, ": {}", md(d));
        }
        let decision = match &r.decision {
            Some(d) => {
                let mut s = choice_words(d.choice).to_string();
                if let Some(i) = d.intent {
                    let _ = write!(s, " ({})", intent_words(i));
                }
                if let Some(n) = d.note.as_deref().filter(|n| !n.trim().is_empty()) {
                    let _ = write!(s, ": {}", md(n));
                }
                let _ = write!(s, ". {}, {}", md(&who(&d.stamp)), when(&d.stamp.at));
                if let Some(f) = &d.follow_up {
                    follow_ups.push((f.clone(), d.follow_up_done.clone()));
                }
                s
            }
            None => "**no decision yet**".into(),
        };
        let _ = writeln!(m, "| {hospital} | {practice} | {changed} | {decision} |");
    }

    if !follow_ups.is_empty() {
        m.push_str("\n## Follow-ups\n\n");
        for (f, done) in &follow_ups {
            let _ = writeln!(
                m,
                "- {} (due {}): {}",
                md(&f.text),
                day(&f.due),
                match done {
                    Some(s) => format!("done by {}, {}", md(&who(s)), when(&s.at)),
                    None => "open".into(),
                }
            );
        }
    }

    if let Some(list) = signed_off_list(store, &view, state.medrec_signed_off_version)? {
        let _ = writeln!(
            m,
            "\n## Reconciled list (practice list version {})\n",
            list.version
        );
        if list.lines.is_empty() {
            m.push_str("No medicines.\n");
        } else {
            m.push_str("| Medicine | Dose | Route | Type |\n|---|---|---|---|\n");
            for l in &list.lines {
                let _ = writeln!(
                    m,
                    "| {} | {} | {} | {} |",
                    md(&l.name),
                    l.dosage.as_deref().map(md).unwrap_or_else(|| "—".into()),
                    l.route.as_deref().map(md).unwrap_or_else(|| "—".into()),
                    l.line_type.as_str()
                );
            }
        }
    }
    let html = render_markdown(&m);
    Ok(MedrecSummary {
        markdown: m,
        html,
        draft,
    })
}

fn uuid(rng: &mut impl RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

const PRESCRIPTION_TYPE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1";

fn statement(line: &PracticeListLine, patient: &str) -> Value {
    let mut coding = json!({"system": "http://snomed.info/sct", "display": line.name});
    if let Some(c) = &line.code {
        coding["code"] = json!(c);
    }
    let mut dosage = json!({});
    if let Some(d) = &line.dosage {
        dosage["text"] = json!(d);
    }
    if let Some(r) = &line.route {
        dosage["route"] = json!({"text": r});
    }
    let kind = line.line_type.as_str();
    json!({
        "resourceType": "MedicationStatement",
        "extension": [{
            "url": PRESCRIPTION_TYPE,
            "valueCodeableConcept": {"coding": [{
                "system": "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1",
                "code": kind,
                "display": if kind == "acute" { "Acute" } else { "Repeat" },
            }]},
        }],
        "status": "active",
        "medicationCodeableConcept": {
            "coding": if line.code.is_some() { json!([coding]) } else { json!([]) },
            "text": line.name,
        },
        "subject": {"reference": patient},
        "taken": "unk",
        "dosage": [dosage],
    })
}

/// The signed-off reconciled list of document `id` as a FHIR STU3 Bundle (JSON).
pub fn medrec_fhir_bundle(store: &Store, id: i64, at: &str) -> Result<Value, WorkflowError> {
    let view = medrec_view(store, id)?;
    let (work, state) = crate::commands::work_and_state(store, id)?;
    let Some(signed) = &view.signed_off else {
        return Err(WorkflowError::Invalid(
            "the reconciliation is not signed off: only a signed-off list is exported".into(),
        ));
    };
    let Some(list) = signed_off_list(store, &view, state.medrec_signed_off_version)? else {
        return Err(WorkflowError::Invalid(
            "the signed-off list version is not in the store".into(),
        ));
    };
    let mut rng = rand::rng();
    let patient_url = format!("urn:uuid:{}", uuid(&mut rng));
    let list_url = format!("urn:uuid:{}", uuid(&mut rng));
    let mut patient = json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": list.nhs_number}],
    });
    if let Some(n) = &work.patient_name {
        patient["name"] = json!([{"text": n}]);
    }
    if let Some(b) = &work.birth_date {
        patient["birthDate"] = json!(b);
    }
    let mut entries = vec![json!({"fullUrl": patient_url, "resource": patient})];
    let mut items = Vec::new();
    for line in &list.lines {
        let url = format!("urn:uuid:{}", uuid(&mut rng));
        items.push(json!({"item": {"reference": url}}));
        entries.push(json!({"fullUrl": url, "resource": statement(line, &patient_url)}));
    }
    let mut list_resource = json!({
        "resourceType": "List",
        "status": "current",
        "mode": "snapshot",
        "title": "Reconciled medication list",
        "code": {"coding": [{
            "system": "http://snomed.info/sct",
            "code": "933361000000108",
            "display": "Medications and medical devices",
        }]},
        "subject": {"reference": patient_url},
        "date": signed.at,
        "source": {"display": who(signed)},
        "note": [{"text": format!(
            "Reconciled in Handover against transfer of care document {id} (received {}); \
             signed off by {} at {}; practice list version {}.",
            view.received_at, who(signed), signed.at, list.version
        )}],
        "entry": items,
    });
    if list.lines.is_empty() {
        list_resource["emptyReason"] = json!({"coding": [{
            "system": "http://hl7.org/fhir/list-empty-reason",
            "code": "nilknown",
            "display": "Nil Known",
        }]});
    }
    entries.insert(1, json!({"fullUrl": list_url, "resource": list_resource}));
    Ok(json!({
        "resourceType": "Bundle",
        "id": uuid(&mut rng),
        "type": "collection",
        "timestamp": at,
        "entry": entries,
    }))
}

/// Records that the reconciliation left Handover (printed or exported).
pub fn record_medrec_export(
    store: &Store,
    actor: &Actor,
    id: i64,
    format: MedrecExportFormat,
    at: &str,
) -> Result<StepResult, WorkflowError> {
    let (_, state) = crate::commands::work_and_state(store, id)?;
    crate::commands::one_event(store, actor, Permission::Work, id, None, at, |_| {
        Ok(WorkEvent::MedrecExported {
            format,
            list_version: state.medrec_signed_off_version,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_in_clinical_text_reads_as_written() {
        let html = render_markdown(&format!(
            "| {} |\n|---|\n",
            md("Take 1-2 *when needed* | max 8 <b>a day</b>")
        ));
        assert!(
            html.contains("Take 1-2 *when needed* | max 8 &lt;b&gt;a day&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<em>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        // A link, an image, an entity and code stay text.
        let html = render_markdown(&format!(
            "- x: {}",
            md("[click](javascript:alert(1)) ![i](x.png) &amp; `code` ~~no~~ 2.5mg (oral)")
        ));
        assert!(!html.contains("<a"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<code>"), "{html}");
        assert!(!html.contains("<del>"), "{html}");
        assert!(html.contains("&amp;amp;"), "{html}");
        assert!(html.contains("2.5mg (oral)"), "{html}");
    }

    #[test]
    fn uuids_are_version_4() {
        let u = uuid(&mut rand::rng());
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
    }
}
