//! The desktop shell's commands through Tauri's mock runtime: the real command handlers, state
//! and sync service, over a real encrypted store and a real folder mailbox. Only the OS keyring
//! is replaced (by a map in memory), so the test needs no desktop session.

use std::sync::Arc;

use handover_desktop::state::AppState;
use handover_store::testing::MemoryKeyStore;
use handover_store::{DataDir, KeyStore};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn the_commands_sync_list_open_and_file_documents_and_report_coded_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let fixtures = handover_fixtures::generate(3, 5);
    for f in &fixtures {
        std::fs::write(inbox.join(&f.file_name), &f.bytes).unwrap();
    }
    std::fs::write(inbox.join("zz-garbage.xml"), b"not a message").unwrap();
    // The mailbox the app uses comes from its environment, as in `make run`.
    std::env::set_var("HANDOVER_MAILBOX_DIR", &inbox);
    std::env::remove_var("HANDOVER_MESH_URL");
    let keys: Arc<dyn KeyStore + Send + Sync> = Arc::new(MemoryKeyStore::default());
    let state = AppState::open_in(DataDir::new(tmp.path().join("data")), keys);
    assert!(state.store_ok());
    let app = handover_desktop::setup(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .expect("the app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    // Sync now: the status afterwards says synced (the start-up sync may have run first).
    let view = invoke(&webview, "sync_now", json!({})).unwrap();
    assert_eq!(view["configured"], true);
    assert_eq!(view["source"], "folder");
    assert_eq!(view["freshness"]["stale"], false, "{view}");
    assert_eq!(view["state"]["health"], "online");

    let status = invoke(&webview, "app_status", json!({})).unwrap();
    assert_eq!(status["store"]["documents"]["total"], 3);
    assert_eq!(status["store"]["documents"]["quarantined"], 1);

    let page = invoke(
        &webview,
        "list_documents",
        json!({"query": {"queue": "all", "offset": 0, "limit": 50}}),
    )
    .unwrap();
    assert_eq!(page["total"], 3);
    // Each document is in a lane: New, or Needs GP review (mental health discharges and
    // documents with safeguarding, suspected cancer, end-of-life or learning disability text).
    for row in page["rows"].as_array().unwrap() {
        let lane = row["status"].as_str().unwrap();
        assert!(lane == "new" || lane == "needs-gp-review", "{row}");
        if row["kind"] == "mental-health-discharge" {
            assert_eq!(lane, "needs-gp-review");
        }
    }
    let id = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "new")
        .expect("a document in New")["id"]
        .as_i64()
        .unwrap();

    let doc = invoke(&webview, "open_document", json!({"id": id})).unwrap();
    assert_eq!(doc["row"]["id"], id);
    assert!(
        doc["parsed"]["document"]["sections"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );

    // Nobody is working yet: the core refuses, saying why.
    let version = doc["row"]["version"].as_i64().unwrap();
    let err = invoke(
        &webview,
        "set_document_status",
        json!({"id": id, "status": "filed", "expectedVersion": version}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "no_user", "{err}");
    let user = invoke(
        &webview,
        "add_user",
        json!({"name": "Alex Admin", "role": "admin"}),
    )
    .unwrap();
    assert_eq!(user["role"], "admin");
    let me = invoke(&webview, "choose_user", json!({"name": "alex admin"})).unwrap();
    // Once there is a profile, only the practice manager adds people.
    let err = invoke(
        &webview,
        "add_user",
        json!({"name": "Mallory", "role": "gp"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "permission_denied", "{err}");
    assert_eq!(me["name"], "Alex Admin");
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "file"));
    assert!(!me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "sign-off"));

    // Every requested action for the practice is decided before filing.
    let work = invoke(&webview, "document_workflow", json!({"id": id})).unwrap();
    let mut version = work["version"].as_i64().unwrap();
    let open: Vec<i64> = work["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["needs_decision"] == true)
        .map(|a| a["index"].as_i64().unwrap())
        .collect();
    if !open.is_empty() {
        let err = invoke(
            &webview,
            "set_document_status",
            json!({"id": id, "status": "filed", "expectedVersion": version}),
        )
        .unwrap_err();
        assert_eq!(err["code"], "actions_undecided", "{err}");
    }
    for index in open {
        let row = invoke(
            &webview,
            "workflow_step",
            json!({"id": id, "expectedVersion": version, "step": {"step": "decide", "index": index,
                "decision": {"decision": "not-applicable", "reason": "done by the ward"}}}),
        )
        .unwrap();
        version = row["version"].as_i64().unwrap();
    }
    let row = invoke(
        &webview,
        "set_document_status",
        json!({"id": id, "status": "filed", "expectedVersion": version}),
    )
    .unwrap();
    assert_eq!(row["status"], "filed");
    assert_eq!(row["version"], version + 1);
    // A window acting on what it showed before that change is told so, and nothing changes.
    let err = invoke(
        &webview,
        "set_document_status",
        json!({"id": id, "status": "needs-action", "expectedVersion": version}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "document_changed", "{err}");
    let filed = invoke(
        &webview,
        "list_documents",
        json!({"query": {"queue": "filed", "offset": 0, "limit": 50}}),
    )
    .unwrap();
    assert_eq!(filed["total"], 1);
    // The audit trail has it, by name.
    let events = invoke(
        &webview,
        "audit_events",
        json!({"query": {"document_id": id, "newest_first": true, "limit": 10}}),
    )
    .unwrap();
    assert_eq!(events[0]["kind"], "filed");
    assert_eq!(events[0]["actor"], "Alex Admin");
    let version = version + 1;

    // A status that is not one is refused before anything changes.
    assert!(invoke(
        &webview,
        "set_document_status",
        json!({"id": id, "status": "binned", "expectedVersion": version}),
    )
    .is_err());

    // Errors carry their stable code for the window to branch on.
    let err = invoke(&webview, "open_document", json!({"id": 999_999})).unwrap_err();
    assert_eq!(err["code"], "document_not_found", "{err}");
    assert!(err["message"].as_str().unwrap().contains("999999"));

    let quarantine = invoke(
        &webview,
        "list_quarantine",
        json!({"offset": 0, "limit": 10}),
    )
    .unwrap();
    let message_id = quarantine[0]["message"]["message_id"].as_i64().unwrap();
    let q = invoke(
        &webview,
        "open_quarantined",
        json!({"messageId": message_id}),
    )
    .unwrap();
    assert_eq!(q["preview"], "not a message");
    let err = invoke(&webview, "open_quarantined", json!({"messageId": 999_999})).unwrap_err();
    assert_eq!(err["code"], "message_not_found");

    // Dealing with a quarantined message needs a note of what was done; it stays listed.
    let err = invoke(
        &webview,
        "mark_quarantine_dealt_with",
        json!({"messageId": message_id, "note": "  "}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "input");
    let q = invoke(
        &webview,
        "mark_quarantine_dealt_with",
        json!({"messageId": message_id, "note": "Asked the hospital to resend"}),
    )
    .unwrap();
    assert_eq!(q["dealt_with_note"], "Asked the hospital to resend", "{q}");
    assert!(q["dealt_with_at"].is_string());
    let quarantine = invoke(
        &webview,
        "list_quarantine",
        json!({"offset": 0, "limit": 10}),
    )
    .unwrap();
    assert_eq!(quarantine.as_array().unwrap().len(), 1);

    // The settings screen sees the folder mailbox from the environment, and cannot change it.
    let settings = invoke(&webview, "mailbox_settings", json!({})).unwrap();
    assert_eq!(settings["from_environment"], true);
    assert_eq!(settings["mailbox"]["kind"], "folder", "{settings}");
}
