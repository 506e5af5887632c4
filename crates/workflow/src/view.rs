//! What the window shows of a document's workflow: its state, requested actions with their
//! decisions, tasks, notes (Markdown rendered with raw HTML disabled), the register's patient
//! and candidates, and the events.

use pulldown_cmark::{html, Event, Options, Parser};
use serde::Serialize;

use handover_store::{AuditEntry, AuditQuery, RegisterPatient, Store, Task, TaskQuery};

use crate::commands::{action_items, ActionItem, WorkflowError};
use crate::state::WorkState;

/// A note, as written and as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct NoteView {
    pub by: String,
    pub at: String,
    pub markdown: String,
    /// Rendered from the Markdown; raw HTML in it is shown as text, never as markup.
    pub html: String,
}

/// A document's workflow for the window.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WorkflowView {
    #[ts(type = "number")]
    pub document_id: i64,
    #[ts(type = "number")]
    pub version: i64,
    pub state: WorkState,
    pub actions: Vec<ActionItem>,
    pub tasks: Vec<Task>,
    pub notes: Vec<NoteView>,
    /// The register's patient for the document's (or the matched) NHS number.
    pub register_patient: Option<RegisterPatient>,
    /// Patients a person might mean, when it is not matched.
    pub candidates: Vec<RegisterPatient>,
    /// The document's history, oldest first: its entries in the audit trail (on a desktop of a
    /// practice, everyone's steps on it from the practice log, with this desktop's own entries
    /// that are not in it: arrival, automatic matching, steps pending or refused).
    pub events: Vec<AuditEntry>,
    /// On a desktop of a practice (issue 14): the local log's `seq` of this desktop's steps on
    /// the document that are not yet in the practice log (the window marks them pending).
    #[ts(type = "number[]")]
    pub pending: Vec<i64>,
    /// The answer to the hospital (business response) queued for the document, and whether it
    /// was sent.
    pub answer: Option<handover_store::AnswerStatus>,
}

/// Markdown to HTML with raw HTML (block and inline) escaped: a note can never carry markup
/// or script into the window.
pub fn render_markdown(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

pub fn workflow_view(store: &Store, id: i64) -> Result<WorkflowView, WorkflowError> {
    let (work, state) = crate::commands::work_and_state(store, id)?;
    let events = store.audit_trail(&AuditQuery {
        document_id: Some(id),
        limit: 10_000,
        ..Default::default()
    })?;
    // Everyone's notes (each once: a note sent to the practice is the practice's entry), and
    // this desktop's not yet sent; notes are never refused.
    let notes: Vec<NoteView> = events
        .iter()
        .filter(|e| e.kind == "note_added")
        .map(|e| {
            let markdown = e.details["markdown"].as_str().unwrap_or("").to_string();
            NoteView {
                by: e.actor.clone(),
                at: e.at.clone(),
                html: render_markdown(&markdown),
                markdown,
            }
        })
        .collect();
    let pending = store.practice_pending_for(id)?;
    let answer = store.answer_status(id)?;
    let nhs = state
        .matched_nhs_number
        .clone()
        .or_else(|| work.nhs_number.clone());
    let register_patient = match nhs.as_deref() {
        Some(n) => store.register_patient(n)?,
        None => None,
    };
    let candidates = if state.match_state == handover_store::MatchState::Matched {
        vec![]
    } else {
        let parsed = crate::commands::stored_parsed(store, id)?;
        let p = parsed
            .as_ref()
            .and_then(|p| p.document.as_ref())
            .and_then(|d| d.patient.as_ref());
        let mut near = store.register_near(
            p.and_then(|p| p.family.as_deref()),
            p.and_then(|p| p.given.first().map(String::as_str)),
            p.and_then(|p| p.birth_date.as_deref())
                .map(|b| b.get(..10).unwrap_or(b)),
            p.and_then(|p| p.postcode.as_deref()),
        )?;
        if let Some(same) = &register_patient {
            near.retain(|c| c.nhs_number != same.nhs_number);
            near.insert(0, same.clone());
        }
        near
    };
    let tasks = store.tasks(&TaskQuery {
        document_id: Some(id),
        include_closed: true,
        ..Default::default()
    })?;
    Ok(WorkflowView {
        document_id: id,
        version: work.version,
        actions: action_items(store, id)?,
        state,
        tasks,
        notes,
        register_patient,
        candidates,
        events,
        pending,
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_in_a_note_is_text() {
        let html = render_markdown(
            "**Call** the patient <script>alert(1)</script> <b>now</b>\n\n<div onclick=x>hi</div>",
        );
        assert!(html.contains("<strong>Call</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<div"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }
}
