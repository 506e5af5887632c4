//! Realistic synthetic ITK3 Transfer of Care messages for the demo mailbox, tests and
//! benchmarks. Deterministic for a seed. All patients are fictitious, with valid NHS
//! numbers from the 999 test range.

use crate::model::{DocumentKind, InputFormat};
use crate::nhs;
use crate::writer::{self, El};

/// One generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// e.g. `0003-outpatient-letter.xml`.
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub kind: DocumentKind,
    pub format: InputFormat,
    pub message_id: String,
    /// Document Bundle.id.
    pub document_id: String,
    pub composition_id: String,
    /// Composition identifier of the earlier fixture this one replaces.
    pub replaces: Option<String>,
    /// Narrative holds hostile HTML (a script that would set `window.__handoverPwned = true`).
    pub hostile: bool,
    pub nhs_number: String,
}

/// The script the hostile fixture carries; it must never run in the UI.
pub const HOSTILE_MARKER: &str = "window.__handoverPwned = true";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn uuid(&mut self) -> String {
        let a = self.next().to_le_bytes();
        let b = self.next().to_le_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b);
        crate::response::uuid_from_bytes(bytes)
    }
}

const FAMILY: &[&str] = &[
    "XXTESTPATIENT-ABCD",
    "Patel",
    "Smith",
    "Okafor",
    "Nowak",
    "Williams",
    "Khan",
    "Jones",
    "Brown",
    "Taylor",
];
const GIVEN: &[&str] = &[
    "Alex", "Sam", "Priya", "Mohammed", "Olivia", "Grace", "Tomasz", "Aisha", "Oliver", "Emily",
];
const TRUSTS: &[(&str, &str, &str)] = &[
    (
        "RA9",
        "South Devon Healthcare NHS Foundation Trust",
        "RA9OT001",
    ),
    (
        "RBA",
        "Taunton and Somerset NHS Foundation Trust",
        "RBAOT002",
    ),
    (
        "RHM",
        "University Hospital Southampton NHS Foundation Trust",
        "RHMOT003",
    ),
    (
        "RTH",
        "Oxford University Hospitals NHS Foundation Trust",
        "RTHOT004",
    ),
];
const PRACTICES: &[(&str, &str)] = &[
    ("B83019", "The Health Centre"),
    ("Y01234", "Riverside Surgery"),
    ("A81001", "Parkview Medical Practice"),
];
/// (dm+d code, name, dose, route)
const MEDICINES: &[(&str, &str, &str, &str)] = &[
    (
        "318420003",
        "Ramipril 2.5mg capsules",
        "One capsule once a day",
        "Oral",
    ),
    (
        "319740004",
        "Atorvastatin 40mg tablets",
        "One tablet at night",
        "Oral",
    ),
    (
        "322236009",
        "Paracetamol 500mg tablets",
        "Two tablets up to four times a day when required",
        "Oral",
    ),
    (
        "317972000",
        "Omeprazole 20mg gastro-resistant capsules",
        "One capsule once a day before breakfast",
        "Oral",
    ),
    (
        "318135000",
        "Bisoprolol 2.5mg tablets",
        "One tablet in the morning",
        "Oral",
    ),
    (
        "319283006",
        "Clopidogrel 75mg tablets",
        "One tablet once a day",
        "Oral",
    ),
    (
        "325278007",
        "Metformin 500mg tablets",
        "One tablet twice a day with food",
        "Oral",
    ),
    (
        "317896006",
        "Amlodipine 5mg tablets",
        "One tablet once a day",
        "Oral",
    ),
    (
        "39113611000001102",
        "Salbutamol 100micrograms/dose inhaler",
        "Two puffs when required",
        "Inhalation",
    ),
    (
        "321208002",
        "Sertraline 50mg tablets",
        "One tablet each morning",
        "Oral",
    ),
    (
        "329652003",
        "Enoxaparin sodium 40mg/0.4ml injection",
        "40mg once daily for 28 days",
        "Subcutaneous",
    ),
    (
        "317249006",
        "Furosemide 40mg tablets",
        "One tablet in the morning",
        "Oral",
    ),
];
const ALLERGENS: &[(&str, &str, &str)] = &[
    ("91936005", "Penicillin", "Rash"),
    ("294505008", "Amoxicillin", "Urticaria"),
    ("91935009", "Peanut", "Anaphylaxis"),
    ("293586001", "Aspirin", "Wheeze"),
    ("300916003", "Latex", "Contact dermatitis"),
];
const CONDITIONS: &[(&str, &str)] = &[
    ("22298006", "Myocardial infarction"),
    ("38341003", "Hypertensive disorder"),
    ("44054006", "Type 2 diabetes mellitus"),
    ("195967001", "Asthma"),
    ("35489007", "Depressive disorder"),
    ("233604007", "Pneumonia"),
    ("125605004", "Fracture of bone"),
];
const PROCEDURES: &[(&str, &str)] = &[
    ("232717009", "Coronary artery bypass graft"),
    ("73761001", "Colonoscopy"),
    ("80146002", "Appendicectomy"),
    ("41976001", "Cardiac catheterisation"),
];
const SENTENCES: &[&str] = &[
    "Patient admitted with central chest pain radiating to the left arm, associated with sweating and nausea.",
    "Troponin was raised on admission and the ECG showed inferior ST depression.",
    "Reviewed by the cardiology team, who recommended dual antiplatelet therapy for twelve months.",
    "Mobilising independently on the ward and managing stairs with supervision.",
    "Blood pressure remained stable throughout the admission; renal function unchanged.",
    "Discussed the diagnosis and medication changes with the patient and their daughter, who understood.",
    "Please review blood pressure and renal function in two weeks and titrate ramipril as tolerated.",
    "No evidence of infection on chest X-ray; oxygen saturations 96% on room air at discharge.",
    "Smoking cessation advice given and referral made to the local stop smoking service.",
    "Outpatient follow up has been arranged in six weeks; the patient will receive a letter.",
    "Mood improved over the admission with support from the community mental health team.",
    "Diet and fluids tolerated; weight stable at 72 kg; BMI 24.",
];

fn x(t: &str) -> String {
    writer::escape_text(t)
}

fn table(rows: &[(&str, String)]) -> String {
    let mut s =
        String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\"><table width=\"100%\"><tbody>");
    for (k, v) in rows {
        s.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", x(k), x(v)));
    }
    s.push_str("</tbody></table></div>");
    s
}

fn paragraphs(rng: &mut Rng, n: usize) -> String {
    let mut s = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
    for _ in 0..n {
        s.push_str("<p>");
        for _ in 0..3 {
            s.push_str(&x(rng.pick::<&str>(SENTENCES)));
            s.push(' ');
        }
        s.push_str("</p>");
    }
    s.push_str("</div>");
    s
}

const HOSTILE_HTML: &str = concat!(
    "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Follow-up plan: review in clinic.</p>",
    "<script>window.__handoverPwned = true</script>",
    "<p onclick=\"window.__handoverPwned = true\" style=\"display:none\">Hidden note: check potassium.</p>",
    "<a href=\"javascript:window.__handoverPwned = true\">Open results</a>",
    "<img src=\"x\" onerror=\"window.__handoverPwned = true\"/>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>window.__handoverPwned = true</script><text>Vector label</text></svg>",
    "<iframe src=\"data:text/html,&lt;script&gt;parent.__handoverPwned=true&lt;/script&gt;\">Frame text</iframe>",
    "</div>"
);

const SNOMED: &str = "http://snomed.info/sct";

fn section(code: &str, title: &str, div: String, entries: &[&str]) -> El {
    let mut s = El::new("section")
        .c(El::v("title", title))
        .c(El::new("code").c(El::coding(SNOMED, code, title)))
        .c(El::new("text")
            .c(El::v("status", "additional"))
            .c(El::div(div)));
    for e in entries {
        s.push(El::reference("entry", e));
    }
    s
}

struct Spec<'a> {
    kind: DocumentKind,
    replaces: Option<&'a str>,
    hostile: bool,
    pad_to: usize,
    json: bool,
}

/// `count` messages: all four kinds, XML mostly (every fifth is JSON), replacements of
/// earlier documents, and (when count ≥ 4) one hostile-narrative message.
pub fn generate(count: usize, seed: u64) -> Vec<Fixture> {
    let mut out = Vec::with_capacity(count);
    generate_each(count, seed, |f| out.push(f));
    out
}

/// The messages of [`generate`], handed to `each` one at a time (so that many can be written
/// out without holding them all in memory).
pub fn generate_each(count: usize, seed: u64, mut each: impl FnMut(Fixture)) {
    let mut rng = Rng(seed ^ 0x0005_EED0_F70C);
    let kinds = [
        DocumentKind::InpatientDischarge,
        DocumentKind::EmergencyDischarge,
        DocumentKind::MentalHealthDischarge,
        DocumentKind::OutpatientLetter,
    ];
    // (composition id, NHS number) of the last four messages: replacements refer back four.
    let mut recent: std::collections::VecDeque<(String, String)> =
        std::collections::VecDeque::with_capacity(5);
    for i in 0..count {
        let kind = kinds[i % 4];
        let earlier = if i >= 4 {
            recent.front().cloned()
        } else {
            None
        };
        let replaces = if i % 7 == 4 {
            earlier.as_ref().map(|(composition, _)| composition.clone())
        } else {
            None
        };
        let spec = Spec {
            kind,
            replaces: replaces.as_deref(),
            hostile: i == 3,
            pad_to: 0,
            json: i % 5 == 4,
        };
        let mut f = build(&mut rng, &spec);
        if let (Some(_), Some((_, nhs_number))) = (&replaces, &earlier) {
            // A replacement is about the same patient.
            f = rebuild_for_patient(&mut rng, &spec, nhs_number);
        }
        f.file_name = format!(
            "{:04}-{}{}.{}",
            i + 1,
            kind.as_str(),
            if f.replaces.is_some() {
                "-replacement"
            } else {
                ""
            },
            if spec.json { "json" } else { "xml" }
        );
        recent.push_back((f.composition_id.clone(), f.nhs_number.clone()));
        if recent.len() > 4 {
            recent.pop_front();
        }
        each(f);
    }
}

/// One message of the given kind and format; the same seed and kind give the same content
/// in XML and in JSON.
pub fn one(seed: u64, kind: DocumentKind, format: InputFormat) -> Fixture {
    let mut rng = Rng(seed);
    let json = format == InputFormat::Json;
    let mut f = build(
        &mut rng,
        &Spec {
            kind,
            replaces: None,
            hostile: false,
            pad_to: 0,
            json,
        },
    );
    f.file_name = format!(
        "{seed}-{}.{}",
        kind.as_str(),
        if json { "json" } else { "xml" }
    );
    f
}

/// One XML message of at least `target_bytes` (clinical summary narrative padded), for benchmarks.
pub fn sized(seed: u64, target_bytes: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let kinds = [
        DocumentKind::InpatientDischarge,
        DocumentKind::EmergencyDischarge,
        DocumentKind::MentalHealthDischarge,
        DocumentKind::OutpatientLetter,
    ];
    let kind = kinds[(seed % 4) as usize];
    build(
        &mut rng,
        &Spec {
            kind,
            replaces: None,
            hostile: false,
            pad_to: target_bytes,
            json: false,
        },
    )
    .bytes
}

/// "2026-10-12T09:32:00+00:00" as a person writes it in a letter: "12-Oct-2026 09:32".
fn readable(date_time: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = date_time[5..7].parse().unwrap_or(1);
    format!(
        "{}-{}-{} {}",
        &date_time[8..10],
        MONTHS[month.clamp(1, 12) - 1],
        &date_time[..4],
        &date_time[11..16]
    )
}

fn rebuild_for_patient(rng: &mut Rng, spec: &Spec, nhs_number: &str) -> Fixture {
    build_with(rng, spec, Some(nhs_number))
}

fn build(rng: &mut Rng, spec: &Spec) -> Fixture {
    build_with(rng, spec, None)
}

fn build_with(rng: &mut Rng, spec: &Spec, nhs_override: Option<&str>) -> Fixture {
    let kind = spec.kind;
    let nhs_number = nhs_override
        .map(str::to_string)
        .unwrap_or_else(|| nhs::test_nhs_number(rng.next()));
    // The patient's demographics follow from the NHS number: the same number is always the same
    // person (a replacement document is about the same patient as the one it replaces).
    let mut who = Rng(nhs_number
        .parse::<u64>()
        .unwrap_or(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        | 1);
    // So do their GP practice and local hospital: a replacement comes from the same hospital.
    let (trust_ods, trust_name, mailbox) = *who.pick(TRUSTS);
    let (gp_ods, gp_name) = *who.pick(PRACTICES);
    let family = *who.pick(FAMILY);
    let given = *who.pick(GIVEN);
    let birth = format!(
        "{}-{:02}-{:02}",
        1935 + who.below(70),
        1 + who.below(12),
        1 + who.below(28)
    );
    let gender = *who.pick(&["male", "female"]);
    let day = 1 + rng.below(27);
    let admitted = format!("2026-10-{day:02}T09:{:02}:00+00:00", rng.below(60));
    let discharged = format!("2026-10-{:02}T16:30:00+00:00", day + 1);
    let (message_id, bundle_id, doc_id, comp_uuid, comp_ident) =
        (rng.uuid(), rng.uuid(), rng.uuid(), rng.uuid(), rng.uuid());
    let (pat_id, gp_id, trust_id, auth_id, enc_id, hdr_org, hdr_gp) = (
        rng.uuid(),
        rng.uuid(),
        rng.uuid(),
        rng.uuid(),
        rng.uuid(),
        rng.uuid(),
        rng.uuid(),
    );
    let u = |id: &str| format!("urn:uuid:{id}");

    let (event, event_display, profile, msgdef, type_code, type_display, care) = match kind {
        DocumentKind::InpatientDischarge => (
            "ITK003D",
            "ITK eDischarge",
            "CareConnect-ITK-EDIS-Composition-1",
            "ITK-eDischarge-MessageDefinition-4",
            "373942005",
            "Discharge summary",
            ("893061000000109", "Cardiology service"),
        ),
        DocumentKind::MentalHealthDischarge => (
            "ITK004D",
            "ITK Mental Health eDischarge",
            "CareConnect-ITK-MH-Composition-1",
            "ITK-MH-eDischarge-MessageDefinition-4",
            "373942005",
            "Discharge summary",
            ("892811000000109", "Adult mental health service"),
        ),
        DocumentKind::EmergencyDischarge => (
            "ITK005D",
            "ITK Emergency Care eDischarge",
            "CareConnect-ITK-ECD-Composition-1",
            "ITK-EC-eDischarge-MessageDefinition-4",
            "373942005",
            "Discharge summary",
            ("310000008", "Accident and Emergency service"),
        ),
        _ => (
            "ITK006D",
            "ITK Outpatient Letter",
            "CareConnect-ITK-OPL-Composition-1",
            "ITK-OPL-MessageDefinition-4",
            "823681000000100",
            "Outpatient letter",
            ("310084007", "Rheumatology service"),
        ),
    };

    // Medicines: active list with change statuses; discontinued list with stopped ones.
    let n_active = 2 + rng.below(6);
    let mut active_items = Vec::new();
    let mut stopped_items = Vec::new();
    let mut entries: Vec<El> = Vec::new();
    let mut med_rows = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\"><table width=\"100%\"><thead><tr><th>Medication</th><th>Dose</th><th>Route</th><th>Status</th><th>Details</th></tr></thead><tbody>");
    let changes = ["Added", "Amended", "Continued", "Continued", "On-hold"];
    let mut used = Vec::new();
    for j in 0..(n_active + 1 + rng.below(2)) {
        let mut k = rng.below(MEDICINES.len());
        while used.contains(&k) {
            k = (k + 1) % MEDICINES.len();
        }
        used.push(k);
        let (code, name, dose, route) = MEDICINES[k];
        let stopped = j >= n_active;
        let (ms_id, med_id) = (rng.uuid(), rng.uuid());
        let change = if stopped {
            None
        } else {
            Some(*rng.pick(&changes))
        };
        let mut ms = El::res("MedicationStatement").c(El::v("id", &ms_id));
        if let Some(c) = change {
            let mut ext = El::ext("https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationChangeSummary-1").c(El::ext("status").c(El::v("valueCode", c)));
            if c == "Amended" || c == "On-hold" {
                ext.push(El::ext("dateChanged").c(El::v("valueDateTime", &admitted[..10])));
                ext.push(
                    El::ext("detailsOfAmendment")
                        .c(El::v("valueString", "Dose changed on the ward; see plan")),
                );
            }
            ms.push(ext);
        }
        ms.push(El::v("status", if stopped { "stopped" } else { "active" }));
        ms.push(El::reference("medicationReference", &u(&med_id)));
        ms.push(El::v("effectiveDateTime", &admitted[..10]));
        ms.push(El::reference("subject", &u(&pat_id)));
        ms.push(El::v("taken", "unk"));
        let mut dosage = El::new("dosage").c(El::v("text", dose));
        if rng.chance(50) {
            dosage.push(El::new("additionalInstruction").c(El::v("text", "Continue indefinitely")));
        }
        dosage.push(El::new("route").c(El::v("text", route)));
        ms.push(dosage);
        if stopped {
            ms.push(El::new("note").c(El::v(
                "text",
                "Stopped on admission: not clinically indicated",
            )));
        }
        entries.push(El::entry(&u(&ms_id), ms));
        entries.push(El::entry(
            &u(&med_id),
            El::res("Medication")
                .c(El::v("id", &med_id))
                .c(El::new("code").c(El::coding(SNOMED, code, name))),
        ));
        med_rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            x(name),
            x(dose),
            x(route),
            if stopped {
                "Stopped"
            } else {
                change.unwrap_or("")
            },
            if stopped {
                "Stopped on admission: not clinically indicated"
            } else {
                ""
            }
        ));
        if stopped {
            stopped_items.push(ms_id);
        } else {
            active_items.push(ms_id);
        }
    }
    med_rows.push_str("</tbody></table></div>");
    let list = |id: &str, code: &str, display: &str, items: &[String]| {
        let mut l = El::res("List")
            .c(El::v("id", id))
            .c(El::v("status", "current"))
            .c(El::v("mode", "snapshot"))
            .c(El::new("code").c(El::coding(SNOMED, code, display)));
        for it in items {
            l.push(El::new("entry").c(El::reference("item", &u(it))));
        }
        l
    };
    let (active_list, stopped_list) = (rng.uuid(), rng.uuid());
    entries.push(El::entry(
        &u(&active_list),
        list(
            &active_list,
            "1102411000000102",
            "Active medications",
            &active_items,
        ),
    ));
    let mut med_section_entries = vec![u(&active_list)];
    if !stopped_items.is_empty() {
        entries.push(El::entry(
            &u(&stopped_list),
            list(
                &stopped_list,
                "1102191000000100",
                "Discontinued medications",
                &stopped_items,
            ),
        ));
        med_section_entries.push(u(&stopped_list));
    }

    // Allergies.
    let allergy_list = rng.uuid();
    let mut allergy_items = Vec::new();
    let mut allergy_rows = Vec::new();
    if rng.chance(30) {
        let id = rng.uuid();
        entries.push(El::entry(
            &u(&id),
            El::res("AllergyIntolerance")
                .c(El::v("id", &id))
                .c(El::v("clinicalStatus", "active"))
                .c(El::v("verificationStatus", "confirmed"))
                .c(El::new("code").c(El::coding(SNOMED, "716186003", "No known allergy")))
                .c(El::reference("patient", &u(&pat_id))),
        ));
        allergy_items.push(id);
        allergy_rows.push(("Causative agent", "No known allergy".to_string()));
    } else {
        for _ in 0..(1 + rng.below(3)) {
            let (code, sub, reaction) = *rng.pick(ALLERGENS);
            let id = rng.uuid();
            let severity = *rng.pick(&["mild", "moderate", "severe"]);
            entries.push(El::entry(
                &u(&id),
                El::res("AllergyIntolerance")
                    .c(El::v("id", &id))
                    .c(El::v("clinicalStatus", "active"))
                    .c(El::v("verificationStatus", "confirmed"))
                    .c(El::new("code").c(El::coding(SNOMED, code, sub)))
                    .c(El::reference("patient", &u(&pat_id)))
                    .c(El::v("assertedDate", &admitted[..10]))
                    .c(El::new("reaction")
                        .c(El::new("manifestation").c(El::v("text", reaction)))
                        .c(El::v("severity", severity))),
            ));
            allergy_items.push(id);
            allergy_rows.push(("Causative agent", sub.to_string()));
            allergy_rows.push((
                "Description of reaction",
                format!("{reaction} ({severity})"),
            ));
        }
    }
    entries.push(El::entry(
        &u(&allergy_list),
        list(
            &allergy_list,
            "886921000000105",
            "Allergies and adverse reactions",
            &allergy_items,
        ),
    ));

    // Diagnoses and procedures.
    let cond_list = rng.uuid();
    let mut cond_items = Vec::new();
    let mut diag_rows = Vec::new();
    for _ in 0..(1 + rng.below(3)) {
        let (code, name) = *rng.pick(CONDITIONS);
        let id = rng.uuid();
        entries.push(El::entry(
            &u(&id),
            El::res("Condition")
                .c(El::v("id", &id))
                .c(El::v("clinicalStatus", "active"))
                .c(El::v("verificationStatus", "confirmed"))
                .c(El::new("code").c(El::coding(SNOMED, code, name)))
                .c(El::reference("subject", &u(&pat_id))),
        ));
        cond_items.push(id);
        diag_rows.push(("Diagnosis", name.to_string()));
    }
    entries.push(El::entry(
        &u(&cond_list),
        list(&cond_list, "887161000000102", "Diagnoses", &cond_items),
    ));
    let proc_list = rng.uuid();
    let (pcode, pname) = *rng.pick(PROCEDURES);
    let proc_id = rng.uuid();
    entries.push(El::entry(
        &u(&proc_id),
        El::res("Procedure")
            .c(El::v("id", &proc_id))
            .c(El::v("status", "completed"))
            .c(El::new("code").c(El::coding(SNOMED, pcode, pname)))
            .c(El::reference("subject", &u(&pat_id)))
            .c(El::v("performedDateTime", &admitted[..10])),
    ));
    entries.push(El::entry(
        &u(&proc_list),
        list(
            &proc_list,
            "887171000000109",
            "Procedures",
            std::slice::from_ref(&proc_id),
        ),
    ));

    // Sections, alphabetical as in the published examples.
    let mut sections = Vec::new();
    match kind {
        DocumentKind::InpatientDischarge | DocumentKind::MentalHealthDischarge => {
            sections.push(section(
                "886781000000108",
                "Admission details",
                table(&[
                    ("Reason for admission", "Chest pain".into()),
                    ("Date/time of admission", readable(&admitted)),
                ]),
                &[&u(&enc_id)],
            ));
        }
        _ => sections.push(section(
            "1077881000000105",
            "Attendance details",
            table(&[
                ("Date of attendance", readable(&admitted)),
                ("Outcome", "Discharged to GP care".into()),
            ]),
            &[&u(&enc_id)],
        )),
    }
    sections.push(section(
        "886921000000105",
        "Allergies and adverse reactions",
        table(
            &allergy_rows
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<Vec<_>>(),
        ),
        &[&u(&allergy_list)],
    ));
    let n_paragraphs = 2 + rng.below(4);
    let summary = paragraphs(rng, n_paragraphs);
    let summary_code = if kind == DocumentKind::EmergencyDischarge {
        ("1077901000000108", "Clinical narrative")
    } else {
        ("887181000000106", "Clinical summary")
    };
    sections.push(section(summary_code.0, summary_code.1, summary, &[]));
    sections.push(section(
        "887161000000102",
        "Diagnoses",
        table(&diag_rows),
        &[&u(&cond_list)],
    ));
    if kind != DocumentKind::OutpatientLetter {
        sections.push(section(
            "886811000000106",
            "Discharge details",
            table(&[
                ("Discharge date", readable(&discharged)),
                ("Discharge destination", "Usual place of residence".into()),
            ]),
            &[&u(&enc_id)],
        ));
    }
    sections.push(section(
        "886711000000101",
        "GP practice",
        table(&[("GP practice", format!("{gp_name} ({gp_ods})"))]),
        &[&u(&gp_id)],
    ));
    sections.push(section(
        "1052951000000105",
        "Information and advice given",
        paragraphs(rng, 1),
        &[],
    ));
    let med_refs: Vec<&str> = med_section_entries.iter().map(String::as_str).collect();
    sections.push(section(
        "933361000000108",
        "Medications and medical devices",
        med_rows,
        &med_refs,
    ));
    sections.push(section(
        "886731000000109",
        "Patient demographics",
        table(&[
            ("Patient name", format!("{given} {family}")),
            ("NHS number", nhs_number.clone()),
            ("Date of birth", birth.clone()),
        ]),
        &[&u(&pat_id)],
    ));
    sections.push(section(
        "887231000000104",
        "Person completing record",
        table(&[
            ("Name", "Dr Jane Consultant".into()),
            ("Grade", "Consultant".into()),
        ]),
        &[&u(&auth_id)],
    ));
    let plan = if spec.hostile {
        HOSTILE_HTML.to_string()
    } else {
        paragraphs(rng, 1)
    };
    sections.push(section(
        "887201000000105",
        "Plan and requested actions",
        plan,
        &[],
    ));
    sections.push(section(
        "887171000000109",
        "Procedures",
        table(&[("Procedure", pname.to_string())]),
        &[&u(&proc_list)],
    ));
    if rng.chance(40) {
        sections.push(section(
            "1234567890123",
            "Local heading: ward notes",
            paragraphs(rng, 1),
            &[],
        ));
    }

    // Attachment: a small PDF-like letter, sometimes.
    let mut attach_ref = None;
    if rng.chance(50) {
        let bin_id = rng.uuid();
        let mut pdf = b"%PDF-1.4\n% synthetic Handover test attachment\n".to_vec();
        pdf.extend((0..(2000 + rng.below(6000))).map(|i| b"0123456789abcdef"[i % 16]));
        pdf.extend_from_slice(b"\n%%EOF\n");
        entries.push(El::entry(
            &u(&bin_id),
            El::res("Binary")
                .c(El::v("id", &bin_id))
                .c(El::v("contentType", "application/pdf"))
                .c(El::v("content", crate::base64::encode(&pdf))),
        ));
        attach_ref = Some(u(&bin_id));
    }
    if let Some(r) = &attach_ref {
        let last = sections.len() - 1;
        sections[last].push(El::reference("entry", r));
    }

    // Pad the clinical summary for benchmark-sized messages.
    let mut comp = El::res("Composition")
        .c(El::v("id", &comp_uuid))
        .c(El::new("meta").c(El::v("profile", format!("https://fhir.nhs.uk/STU3/StructureDefinition/{profile}"))))
        .c(El::ext("https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-CareSettingType-1").c(El::new("valueCodeableConcept").c(El::coding(SNOMED, care.0, care.1))))
        .c(El::new("identifier").c(El::v("system", "https://tools.ietf.org/html/rfc4122")).c(El::v("value", &comp_ident)))
        .c(El::v("status", "final"))
        .c(El::new("type").c(El::coding(SNOMED, type_code, type_display)))
        .c(El::reference("subject", &u(&pat_id)))
        .c(El::reference("encounter", &u(&enc_id)))
        .c(El::v("date", &discharged))
        .c(El::reference("author", &u(&auth_id)))
        .c(El::v("title", format!("{} {}", care.1, type_display.to_lowercase())));
    if let Some(r) = spec.replaces {
        comp.push(
            El::new("relatesTo")
                .c(El::v("code", "replaces"))
                .c(El::new("targetIdentifier")
                    .c(El::v("system", "https://tools.ietf.org/html/rfc4122"))
                    .c(El::v("value", r))),
        );
    }
    comp.push(El::reference("custodian", &u(&trust_id)));
    let summary_index = sections
        .iter()
        .position(|s| {
            s.children.iter().any(|c| {
                c.name == "title"
                    && (c.value.as_deref() == Some("Clinical summary")
                        || c.value.as_deref() == Some("Clinical narrative"))
            })
        })
        .unwrap_or(0);
    for s in sections {
        comp.push(s);
    }

    let patient = El::res("Patient")
        .c(El::v("id", &pat_id))
        .c(El::new("identifier")
            .c(El::v("system", "https://fhir.nhs.uk/Id/nhs-number"))
            .c(El::v("value", &nhs_number)))
        .c(El::new("name")
            .c(El::v("use", "official"))
            .c(El::v("family", family))
            .c(El::v("given", given)))
        .c(El::v("gender", gender))
        .c(El::v("birthDate", &birth))
        .c(El::new("address")
            .c(El::v("use", "home"))
            .c(El::v("line", format!("{} Test Street", 1 + rng.below(200))))
            .c(El::v("city", "Exeter"))
            .c(El::v("postalCode", "EX1 1AA")))
        .c(El::reference("generalPractitioner", &u(&gp_id)));
    let org = |id: &str, ods: &str, name: &str| {
        El::res("Organization")
            .c(El::v("id", id))
            .c(El::new("identifier")
                .c(El::v(
                    "system",
                    "https://fhir.nhs.uk/Id/ods-organization-code",
                ))
                .c(El::v("value", ods)))
            .c(El::v("name", name))
    };
    let encounter = El::res("Encounter")
        .c(El::v("id", &enc_id))
        .c(El::v("status", "finished"))
        .c(El::new("class")
            .c(El::v("system", "http://hl7.org/fhir/v3-ActEncounterCode"))
            .c(El::v(
                "code",
                if kind == DocumentKind::OutpatientLetter {
                    "AMB"
                } else {
                    "IMP"
                },
            ))
            .c(El::v(
                "display",
                if kind == DocumentKind::OutpatientLetter {
                    "ambulatory"
                } else {
                    "inpatient encounter"
                },
            )))
        .c(El::reference("subject", &u(&pat_id)))
        .c(El::new("period")
            .c(El::v("start", &admitted))
            .c(El::v("end", &discharged)))
        .c(
            El::new("hospitalization").c(El::new("dischargeDisposition").c(El::coding(
                SNOMED,
                "306689006",
                "Discharge to home",
            ))),
        );
    let author = El::res("Practitioner")
        .c(El::v("id", &auth_id))
        .c(El::new("identifier")
            .c(El::v("system", "https://fhir.nhs.uk/Id/sds-user-id"))
            .c(El::v(
                "value",
                format!("{:012}", rng.next() % 1_000_000_000_000),
            )))
        .c(El::new("name")
            .c(El::v("family", "Consultant"))
            .c(El::v("given", "Jane"))
            .c(El::v("prefix", "Dr")))
        .c(El::new("telecom")
            .c(El::v("system", "phone"))
            .c(El::v("value", "01632 960000")));

    let mut doc_entries = vec![
        El::entry(&u(&comp_uuid), comp),
        El::entry(&u(&pat_id), patient),
        El::entry(&u(&gp_id), org(&gp_id, gp_ods, gp_name)),
        El::entry(&u(&trust_id), org(&trust_id, trust_ods, trust_name)),
        El::entry(&u(&enc_id), encounter),
        El::entry(&u(&auth_id), author),
    ];
    doc_entries.extend(entries);
    let mut doc = El::res("Bundle")
        .c(El::v("id", &doc_id))
        .c(El::new("meta")
            .c(El::v("lastUpdated", &discharged))
            .c(El::v(
                "profile",
                "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Document-Bundle-1",
            )))
        .c(El::new("identifier")
            .c(El::v("system", "https://tools.ietf.org/html/rfc4122"))
            .c(El::v("value", &doc_id)))
        .c(El::v("type", "document"));
    for e in doc_entries {
        doc.push(e);
    }

    let header = El::res("MessageHeader")
        .c(El::v("id", &message_id))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2",
        )))
        .c(crate::writer::handling_extension(
            true,
            true,
            &format!("https://fhir.nhs.uk/STU3/MessageDefinition/{msgdef}"),
            "None",
        ))
        .c(El::new("event")
            .c(El::v(
                "system",
                "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2",
            ))
            .c(El::v("code", event))
            .c(El::v("display", event_display)))
        .c(El::reference("receiver", &u(&hdr_gp)))
        .c(El::reference("sender", &u(&hdr_org)))
        .c(El::v("timestamp", &discharged))
        .c(El::new("source").c(El::v("endpoint", mailbox)))
        .c(El::reference("focus", &u(&bundle_id)));
    let mut msg = El::res("Bundle")
        .c(El::v("id", rng.uuid()))
        .c(El::new("meta").c(El::v(
            "profile",
            "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1",
        )))
        .c(El::new("identifier")
            .c(El::v("system", "https://tools.ietf.org/html/rfc4122"))
            .c(El::v("value", rng.uuid())))
        .c(El::v("type", "message"))
        .c(El::entry(&u(&message_id), header))
        .c(El::entry(
            &u(&hdr_org),
            org(&hdr_org, trust_ods, trust_name),
        ))
        .c(El::entry(&u(&hdr_gp), org(&hdr_gp, gp_ods, gp_name)));
    // The inner document's fullUrl is the focus; its Bundle.id is the document id.
    msg.push(El::entry(&u(&bundle_id), doc));

    let mut bytes = if spec.json {
        serde_json::to_vec_pretty(&writer::to_json(&msg)).unwrap_or_default()
    } else {
        writer::to_xml(&msg).into_bytes()
    };
    if spec.pad_to > bytes.len() {
        // Grow the clinical summary with more paragraphs until the message reaches the target.
        let missing = spec.pad_to - bytes.len();
        let mut extra = String::new();
        while extra.len() < missing {
            extra.push_str("<p>");
            for _ in 0..3 {
                extra.push_str(&x(rng.pick::<&str>(SENTENCES)));
                extra.push(' ');
            }
            extra.push_str("</p>");
        }
        set_summary_padding(&mut msg, summary_index, &extra);
        bytes = writer::to_xml(&msg).into_bytes();
    }
    Fixture {
        file_name: String::new(),
        bytes,
        kind,
        format: if spec.json {
            InputFormat::Json
        } else {
            InputFormat::Xml
        },
        message_id,
        document_id: doc_id,
        composition_id: comp_ident,
        replaces: spec.replaces.map(str::to_string),
        hostile: spec.hostile,
        nhs_number,
    }
}

fn set_summary_padding(msg: &mut El, summary_index: usize, extra: &str) {
    let Some(doc) = msg
        .children
        .last_mut()
        .and_then(|e| e.children.last_mut())
        .and_then(|r| r.children.first_mut())
    else {
        return;
    };
    let Some(comp) = doc
        .children
        .iter_mut()
        .find(|c| c.name == "entry")
        .and_then(|e| e.children.last_mut())
        .and_then(|r| r.children.first_mut())
    else {
        return;
    };
    let Some(section) = comp
        .children
        .iter_mut()
        .filter(|c| c.name == "section")
        .nth(summary_index)
    else {
        return;
    };
    let Some(div) = section
        .children
        .iter_mut()
        .find(|c| c.name == "text")
        .and_then(|t| t.children.iter_mut().find(|c| c.name == "div"))
    else {
        return;
    };
    if let Some(x) = div.xhtml.as_mut() {
        x.truncate(x.len() - "</div>".len());
        x.push_str(extra);
        x.push_str("</div>");
    }
}
