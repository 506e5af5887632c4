//! Requested actions: what a document asks someone to do, read from the narrative of its "Plan
//! and requested actions" section (SNOMED 887201000000105; ITK3 sends it as narrative only, with
//! no coded actions) and of follow-up sections.
//!
//! One action per table cell, list item or paragraph, split further where a cell holds several:
//! real documents separate them with `<br/>` and follow each with "Person responsible: ..." and
//! "Status: ..." (or "Action status: ...") paragraphs, which are read into the action. The PRSB
//! sub-heading an action sits under (a row header such as "Actions for healthcare
//! professionals", or a heading row above) is kept.
//!
//! Whether an action is **for the practice** errs towards yes: a missed action harms a patient,
//! an extra one costs a click. It is for the practice when its responsible person is the GP or
//! the practice; when no responsible person is named, unless it sits under a patient-facing
//! heading ("Actions for patient or their carer", "Agreed with patient ...") or says there is
//! nothing to do. Completed actions are information, not work (see
//! [`RequestedAction::needs_disposition`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Document, Section};

/// SNOMED CT code of the PRSB "Plan and requested actions" section.
pub const PLAN_AND_REQUESTED_ACTIONS: &str = "887201000000105";

/// One thing a document asks someone to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RequestedAction {
    /// The action, word for word.
    pub text: String,
    /// The sub-heading it sits under ("Actions for healthcare professionals").
    pub heading: Option<String>,
    /// "Person responsible", as the hospital wrote it.
    pub responsible: Option<String>,
    /// "Status" or "Action status", as written ("Requested", "Completed", "Planned").
    pub status: Option<String>,
    /// Addressed to the GP or the practice (see the module docs).
    pub for_practice: bool,
    /// The section it was read from (index into `Document::sections`).
    #[ts(type = "number")]
    pub section: u32,
}

impl RequestedAction {
    /// The hospital says it is done.
    pub fn completed(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| lower(s).starts_with("complete") || lower(s) == "done")
    }

    /// For the practice and not already done: someone at the practice must decide what
    /// becomes of it.
    pub fn needs_disposition(&self) -> bool {
        self.for_practice && !self.completed()
    }
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The sections actions are read from: the plan, and follow-up sections.
pub fn is_action_section(s: &Section) -> bool {
    if s.code.as_deref() == Some(PLAN_AND_REQUESTED_ACTIONS) {
        return true;
    }
    let title = lower(s.title.as_deref().unwrap_or(""));
    title.contains("requested action")
        || title.starts_with("plan")
        || title.contains("follow up")
        || title.contains("follow-up")
}

/// The first line of an action, cut at 160 characters, for a list row.
pub fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= 160 {
        return line.to_string();
    }
    let cut: String = line.chars().take(159).collect();
    format!("{cut}…")
}

/// Every requested action of `doc`, in document order.
pub fn requested_actions(doc: &Document) -> Vec<RequestedAction> {
    let practice = doc
        .patient
        .as_ref()
        .and_then(|p| p.gp_practice_name.clone());
    let mut out = Vec::new();
    for (i, s) in doc.sections.iter().enumerate() {
        if !is_action_section(s) {
            continue;
        }
        let Ok(tree) = roxmltree::Document::parse(&s.html) else {
            continue;
        };
        let mut reader = Reader {
            out: Vec::new(),
            heading: None,
        };
        reader.container(tree.root_element());
        for mut a in reader.out {
            a.section = i as u32;
            a.for_practice = for_practice(&a, practice.as_deref());
            out.push(a);
        }
    }
    out
}

/// A line of narrative text, or a break between groups.
enum Line {
    Text(String),
    Break,
}

struct Reader {
    out: Vec<RequestedAction>,
    /// The heading the next actions sit under.
    heading: Option<String>,
}

fn name(n: roxmltree::Node) -> String {
    n.tag_name().name().to_ascii_lowercase()
}

fn text_of(n: roxmltree::Node) -> String {
    let raw: String = n
        .descendants()
        .filter(|d| d.is_text())
        .map(|d| d.text().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_heading_element(n: roxmltree::Node) -> bool {
    matches!(
        name(n).as_str(),
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "caption"
    )
}

/// A paragraph that is only bold text ("<p><b>Actions for the GP</b></p>") reads as a heading.
fn is_bold_only(n: roxmltree::Node) -> bool {
    let elements: Vec<_> = n.children().filter(|c| c.is_element()).collect();
    let loose_text = n
        .children()
        .filter(|c| c.is_text())
        .any(|c| !c.text().unwrap_or("").trim().is_empty());
    elements.len() == 1
        && matches!(name(elements[0]).as_str(), "b" | "strong")
        && !loose_text
        && !text_of(n).is_empty()
}

impl Reader {
    /// Reads the children of a container (the narrative `div`, a nested `div`).
    fn container(&mut self, node: roxmltree::Node) {
        let mut pending: Vec<Line> = Vec::new();
        for c in node.children() {
            if c.is_element() {
                match name(c).as_str() {
                    "table" => {
                        self.flush(&mut pending);
                        self.table(c);
                    }
                    "ul" | "ol" => {
                        self.flush(&mut pending);
                        for li in c.children().filter(|l| l.is_element() && name(*l) == "li") {
                            let mut lines = Vec::new();
                            lines_of(li, &mut lines);
                            self.group(lines);
                        }
                    }
                    "div" | "section" => {
                        self.flush(&mut pending);
                        self.container(c);
                    }
                    _ if is_heading_element(c) || is_bold_only(c) => {
                        self.flush(&mut pending);
                        let t = text_of(c);
                        if !t.is_empty() {
                            self.heading = Some(t.trim_end_matches(':').trim().to_string());
                        }
                    }
                    _ => lines_of(c, &mut pending),
                }
            } else if c.is_text() {
                let t = c
                    .text()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !t.is_empty() {
                    pending.push(Line::Text(t));
                }
            }
        }
        self.flush(&mut pending);
    }

    fn flush(&mut self, pending: &mut Vec<Line>) {
        if !pending.is_empty() {
            let lines = std::mem::take(pending);
            self.group(lines);
        }
    }

    fn table(&mut self, table: roxmltree::Node) {
        let rows: Vec<_> = table
            .descendants()
            .filter(|n| n.is_element() && name(*n) == "tr")
            // Rows of this table, not of a table nested in a cell.
            .filter(|tr| {
                tr.ancestors()
                    .find(|a| a.is_element() && name(*a) == "table")
                    .is_some_and(|t| t == table)
            })
            .collect();
        for tr in rows {
            let cells: Vec<_> = tr
                .children()
                .filter(|c| c.is_element() && matches!(name(*c).as_str(), "th" | "td"))
                .collect();
            let heads: Vec<String> = cells
                .iter()
                .filter(|c| name(**c) == "th")
                .map(|c| text_of(*c))
                .filter(|t| !t.is_empty())
                .collect();
            let data: Vec<_> = cells.iter().filter(|c| name(**c) == "td").collect();
            if data.is_empty() {
                // A heading row: it heads the rows below.
                if !heads.is_empty() {
                    self.heading = Some(heads.join(" ").trim_end_matches(':').trim().to_string());
                }
                continue;
            }
            let saved = self.heading.clone();
            if !heads.is_empty() {
                self.heading = Some(heads.join(" ").trim_end_matches(':').trim().to_string());
            }
            for td in data {
                let mut lines = Vec::new();
                lines_of(*td, &mut lines);
                self.group(lines);
            }
            // A row header heads only its own row.
            if !heads.is_empty() {
                self.heading = saved;
            }
        }
    }

    /// Turns lines into actions: each line of text starts an action; "Person responsible" and
    /// "Status" lines belong to the action before them.
    fn group(&mut self, lines: Vec<Line>) {
        let mut current: Option<RequestedAction> = None;
        for line in lines {
            let Line::Text(t) = line else {
                continue;
            };
            if let Some(who) = after_label(
                &t,
                &["person responsible", "responsible person", "responsible"],
            ) {
                match current.as_mut() {
                    Some(a) if a.responsible.is_none() => a.responsible = Some(who),
                    _ => {}
                }
                continue;
            }
            if let Some(status) = after_label(&t, &["action status", "status"]) {
                match current.as_mut() {
                    Some(a) if a.status.is_none() => a.status = Some(status),
                    _ => {}
                }
                continue;
            }
            if let Some(a) = current.take() {
                self.out.push(a);
            }
            current = Some(RequestedAction {
                text: t,
                heading: self.heading.clone(),
                ..Default::default()
            });
        }
        if let Some(a) = current {
            self.out.push(a);
        }
    }
}

/// Text lines of a cell or item: each paragraph-like element a line, `<br>` a break.
fn lines_of(node: roxmltree::Node, out: &mut Vec<Line>) {
    let mut buf = String::new();
    fn push(buf: &mut String, out: &mut Vec<Line>) {
        let t = buf.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            out.push(Line::Text(t));
        }
        buf.clear();
    }
    fn walk(n: roxmltree::Node, buf: &mut String, out: &mut Vec<Line>) {
        for c in n.children() {
            if c.is_text() {
                buf.push_str(c.text().unwrap_or(""));
                buf.push(' ');
            } else if c.is_element() {
                let tag = name(c);
                let block = matches!(
                    tag.as_str(),
                    "p" | "div"
                        | "li"
                        | "tr"
                        | "dd"
                        | "dt"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "blockquote"
                        | "pre"
                );
                if tag == "br" || tag == "hr" {
                    push(buf, out);
                    out.push(Line::Break);
                } else if block {
                    push(buf, out);
                    walk(c, buf, out);
                    push(buf, out);
                } else {
                    walk(c, buf, out);
                }
            }
        }
    }
    if matches!(name(node).as_str(), "p" | "li" | "td" | "th" | "div") {
        walk(node, &mut buf, out);
    } else {
        let mut one = String::new();
        walk(node, &mut one, out);
        buf = one;
    }
    push(&mut buf, out);
}

/// The value after a label ("Person responsible: Dr X" -> "Dr X"), if the line starts with one.
fn after_label(line: &str, labels: &[&str]) -> Option<String> {
    let l = line.to_lowercase();
    for label in labels {
        if let Some(rest) = l.strip_prefix(label) {
            let rest_trim = rest.trim_start();
            if let Some(after) = rest_trim
                .strip_prefix(':')
                .or_else(|| rest_trim.strip_prefix('-'))
            {
                let start = line.len() - after.len();
                let value = line[start..].trim();
                return (!value.is_empty()).then(|| value.to_string());
            }
        }
    }
    None
}

/// Names the GP or the practice.
fn names_practice(s: &str, practice: Option<&str>) -> bool {
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let l = s.to_lowercase();
    has("gp")
        || has("gps")
        || l.contains("g.p.")
        || l.contains("general practi")
        || has("practice")
        || has("surgery")
        || l.contains("primary care")
        || practice.is_some_and(|p| !p.trim().is_empty() && l.contains(&p.to_lowercase()))
}

fn for_practice(a: &RequestedAction, practice: Option<&str>) -> bool {
    let heading = lower(a.heading.as_deref().unwrap_or(""));
    if heading.contains("patient or their carer")
        || heading.contains("agreed with patient")
        || heading.contains("for patient")
    {
        return false;
    }
    if let Some(who) = &a.responsible {
        return names_practice(who, practice);
    }
    let text = lower(&a.text);
    let nothing = [
        "no actions",
        "no action",
        "none",
        "nil",
        "n/a",
        "not applicable",
    ]
    .iter()
    .any(|n| {
        text == *n
            || text.starts_with(&format!("{n} "))
            || text.starts_with(&format!("{n}."))
            || text.starts_with(&format!("{n} for"))
    });
    !nothing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Document, Patient, Section};

    fn doc(html: &str) -> Document {
        Document {
            patient: Some(Patient {
                gp_practice_name: Some("Canvas Health Centre".into()),
                ..Default::default()
            }),
            sections: vec![
                Section {
                    title: Some("Clinical summary".into()),
                    html: "<div><p>Please prescribe nothing here.</p></div>".into(),
                    ..Default::default()
                },
                Section {
                    code: Some(PLAN_AND_REQUESTED_ACTIONS.into()),
                    title: Some("Plan and requested actions".into()),
                    html: html.into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn one_cell_with_four_actions_and_their_people_and_statuses() {
        let html = "<div><table><tbody><tr><th>Actions for healthcare professionals</th><td>A backpack has been ordered.<br/><p>Person Responsible: Susan Blight - Community Dietitian.</p><p>Action status: Completed</p><br/>Follow-up via telephone within 1 month.<br/><p>Person Responsible: Susan Blight - Community Dietitian.</p><p>Action status: Requested</p><br/>Please prescribe 28 x 100ml bags per month.<br/><p>Person Responsible: Dr. C. O'Reilly - GP, Canvas Health Centre.</p><p>Action status: Requested</p><br/>Feeding nurse to train the patient.<br/><p>Person Responsible: Doug Sway - Feeding nurse, Company X.</p><p> Action status: Requested</p></td></tr><tr><th>Actions for patient or their carer</th><td>Continue the feeding regime.</td></tr></tbody></table></div>";
        let a = requested_actions(&doc(html));
        let texts: Vec<&str> = a.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "A backpack has been ordered.",
                "Follow-up via telephone within 1 month.",
                "Please prescribe 28 x 100ml bags per month.",
                "Feeding nurse to train the patient.",
                "Continue the feeding regime."
            ]
        );
        assert_eq!(a[0].status.as_deref(), Some("Completed"));
        assert!(a[0].completed() && !a[0].needs_disposition());
        assert_eq!(
            a[2].responsible.as_deref(),
            Some("Dr. C. O'Reilly - GP, Canvas Health Centre.")
        );
        assert_eq!(a[3].status.as_deref(), Some("Requested"));
        let for_practice: Vec<bool> = a.iter().map(|x| x.for_practice).collect();
        assert_eq!(for_practice, [false, false, true, false, false]);
        assert!(a.iter().all(|x| x.section == 1));
        assert_eq!(
            a[4].heading.as_deref(),
            Some("Actions for patient or their carer")
        );
        assert_eq!(
            a[0].heading.as_deref(),
            Some("Actions for healthcare professionals")
        );
    }

    #[test]
    fn heading_rows_head_the_rows_below_and_unnamed_actions_are_for_the_practice() {
        let html = "<div><table><tr><th>Actions for healthcare professionals</th></tr><tr><td>Arrange a blood glucose check next week.</td></tr><tr><td>Professor Hawkins to consider radiotherapy.</td></tr></table></div>";
        let a = requested_actions(&doc(html));
        assert_eq!(a.len(), 2);
        assert!(a
            .iter()
            .all(|x| x.heading.as_deref() == Some("Actions for healthcare professionals")));
        assert!(a.iter().all(|x| x.for_practice && x.needs_disposition()));
    }

    #[test]
    fn lists_and_paragraphs_are_read_too() {
        let a = requested_actions(&doc(
            "<div><p><b>Actions for the GP</b></p><ul><li>Check U&amp;E in one week.</li><li>Review ramipril.</li></ul><p>No actions for the patient.</p></div>",
        ));
        let texts: Vec<&str> = a.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Check U&E in one week.",
                "Review ramipril.",
                "No actions for the patient."
            ]
        );
        assert_eq!(a[0].heading.as_deref(), Some("Actions for the GP"));
        assert!(a[0].for_practice && a[1].for_practice);
        assert!(!a[2].for_practice, "says there is nothing to do");
        // A document with no plan section has no actions.
        let mut d = doc("<div/>");
        d.sections.truncate(1);
        assert!(requested_actions(&d).is_empty());
    }
}
