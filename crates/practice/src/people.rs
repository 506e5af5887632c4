//! The practice's people, administered (schema 9): adding a login with a display name,
//! changing a person's role, removing a person, and listing them. Each change is recorded in
//! the practice log (`person_added`, `role_changed`, `person_removed`) by the owner-only
//! `handover.append_admin_event`, in the change's own transaction: actor the administrator's
//! login (`session_user`), role none. Needs a superuser login (roles are created and altered).
//!
//! A removed person's row stays (with `removed_at`), so the log's events still name someone the
//! practice knows; the login can no longer log in (`NOLOGIN`), its sessions are ended, and the
//! server refuses it as a member even on a session that is still open.

use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::{check_login, check_practice_id, group_role, quote_literal, schema};
use crate::{PracticeDb, PracticeError};

/// A login of a practice as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub login: String,
    pub practice_id: String,
    /// "Dr Gita Patel"; None when none was given.
    pub display_name: Option<String>,
    /// The workflow role (None for the MESH puller).
    pub role: Option<String>,
    /// `person` or `puller`.
    pub kind: String,
    /// RFC 3339, UTC.
    pub added_at: String,
    /// When the person was removed (RFC 3339, UTC); None while they are a member.
    pub removed_at: Option<String>,
}

/// A person of the practice as a desktop takes them (see [`PracticeDb::practice_people`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    pub role: String,
    pub display_name: Option<String>,
    pub removed_at: Option<String>,
}

/// What [`PracticeDb::set_role`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleChange {
    pub login: String,
    pub from: String,
    pub to: String,
    /// False when the person had that role already (nothing changed, nothing recorded).
    pub changed: bool,
}

/// What [`PracticeDb::remove_user`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub login: String,
    pub removed_at: String,
    /// How many of the login's open sessions were ended.
    pub sessions_ended: i64,
}

const UTC: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

fn member_select() -> String {
    format!(
        "SELECT login::text, practice_id, display_name, role, kind, \
         to_char(added_at AT TIME ZONE 'UTC', {UTC}), \
         to_char(removed_at AT TIME ZONE 'UTC', {UTC}) FROM handover.members"
    )
}

fn member_row(r: &tokio_postgres::Row) -> Member {
    Member {
        login: r.get(0),
        practice_id: r.get(1),
        display_name: r.get(2),
        role: r.get(3),
        kind: r.get(4),
        added_at: r.get(5),
        removed_at: r.get(6),
    }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
fn check_display_name(name: &str) -> Result<String, PracticeError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(PracticeError::InvalidArgument(format!(
            "{name:?} cannot be a display name: 1 to 200 characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

/// Appends an administrative event to `practice`'s log inside the caller's transaction.
async fn record<C: GenericClient>(
    tx: &C,
    practice: &str,
    kind: &str,
    details: serde_json::Value,
    os_user: &str,
) -> Result<i64, PracticeError> {
    let row = tx
        .query_one(
            "SELECT handover.append_admin_event($1, $2, $3, $4)",
            &[&practice, &kind, &details.to_string(), &os_user],
        )
        .await?;
    Ok(row.get(0))
}

/// Creates the login and its member row inside the caller's transaction (checked as
/// `add_user` documents); the display name only on schema 9 on.
pub(crate) async fn create_login<C: GenericClient>(
    tx: &C,
    practice_id: &str,
    name: &str,
    role: &str,
    password: &str,
    display_name: Option<&str>,
) -> Result<(), PracticeError> {
    check_practice_id(practice_id)?;
    check_login(name)?;
    let group = group_role(role)?;
    if password.chars().count() < 12 {
        return Err(PracticeError::InvalidArgument(
            "the password must be at least 12 characters".into(),
        ));
    }
    let display_name = display_name.map(check_display_name).transpose()?;
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    let known = tx
        .query_opt(
            "SELECT 1 FROM handover.practices WHERE practice_id = $1",
            &[&practice_id],
        )
        .await?;
    if known.is_none() {
        return Err(PracticeError::PracticeNotFound(practice_id.to_string()));
    }
    let exists = tx
        .query_opt(
            "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
            &[&name],
        )
        .await?;
    if exists.is_some() {
        return Err(PracticeError::UserExists(name.to_string()));
    }
    // Identifiers cannot be parameters; the name is checked above and quoted here.
    tx.batch_execute(&format!(
        "CREATE ROLE \"{name}\" LOGIN PASSWORD {} IN ROLE {group};
         ALTER ROLE \"{name}\" SET idle_in_transaction_session_timeout = '60s';",
        quote_literal(&verifier)
    ))
    .await?;
    let (kind, workflow_role): (&str, Option<&str>) = if role == schema::PULLER_ROLE.0 {
        ("puller", None)
    } else {
        ("person", Some(role))
    };
    if let Some(display) = &display_name {
        tx.execute(
            "INSERT INTO handover.members (login, practice_id, role, kind, display_name)
             VALUES ($1::text::name, $2, $3, $4, $5)",
            &[&name, &practice_id, &workflow_role, &kind, display],
        )
        .await?;
    } else {
        tx.execute(
            "INSERT INTO handover.members (login, practice_id, role, kind)
             VALUES ($1::text::name, $2, $3, $4)",
            &[&name, &practice_id, &workflow_role, &kind],
        )
        .await?;
    }
    Ok(())
}

impl PracticeDb {
    /// Adds a login for a person (or the MESH puller, role `puller`) with an optional display
    /// name, and records `person_added` in the practice's log in the same transaction (the
    /// actor is this login, the administrator; `os_user` who ran the command). Needs a
    /// superuser login.
    pub async fn add_person(
        &mut self,
        practice_id: &str,
        login: &str,
        role: &str,
        password: &str,
        display_name: Option<&str>,
        os_user: &str,
    ) -> Result<Member, PracticeError> {
        let tx = self.client.transaction().await?;
        create_login(&tx, practice_id, login, role, password, display_name).await?;
        let member = member_row(
            &tx.query_one(
                &format!("{} WHERE login = $1::text::name", member_select()),
                &[&login],
            )
            .await?,
        );
        record(
            &tx,
            practice_id,
            "person_added",
            serde_json::json!({
                "login": member.login,
                "display_name": member.display_name,
                "role": member.role,
                "kind": member.kind,
            }),
            os_user,
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The member row of `login` in `practice_id`, locked to the end of `tx`, refusing an
    /// unknown login, one of another practice, the puller and a removed person.
    async fn person_for_change(
        tx: &tokio_postgres::Transaction<'_>,
        practice_id: &str,
        login: &str,
    ) -> Result<Member, PracticeError> {
        check_practice_id(practice_id)?;
        let row = tx
            .query_opt(
                &format!(
                    "{} WHERE login = $1::text::name FOR UPDATE",
                    member_select()
                ),
                &[&login],
            )
            .await?;
        let Some(member) = row.as_ref().map(member_row) else {
            return Err(PracticeError::UserNotFound(format!(
                "no login {login:?} is a member of any practice on this server"
            )));
        };
        if member.practice_id != practice_id {
            return Err(PracticeError::UserInOtherPractice(format!(
                "{login} is a member of practice {}, not {practice_id}",
                member.practice_id
            )));
        }
        if member.kind == "puller" {
            return Err(PracticeError::PullerLogin(format!(
                "{login} is the practice's MESH puller, not a person: it has no role to change \
                 and is not removed here (ALTER ROLE {login} NOLOGIN stops it)"
            )));
        }
        if let Some(at) = &member.removed_at {
            return Err(PracticeError::UserRemoved(format!(
                "{login} was removed from practice {practice_id} at {at}"
            )));
        }
        Ok(member)
    }

    /// Gives a person another workflow role: the group role membership and the member row,
    /// with `role_changed` recorded in the practice's log in the same transaction. Events
    /// already in the log keep the role they were appended with. Having the role already
    /// changes and records nothing. Needs a superuser login.
    pub async fn set_role(
        &mut self,
        practice_id: &str,
        login: &str,
        role: &str,
        os_user: &str,
    ) -> Result<RoleChange, PracticeError> {
        if role == schema::PULLER_ROLE.0 {
            return Err(PracticeError::InvalidArgument(
                "a person cannot be made the puller: add a puller login with add-user".into(),
            ));
        }
        let new_group = group_role(role)?;
        let tx = self.client.transaction().await?;
        let member = Self::person_for_change(&tx, practice_id, login).await?;
        let from = member.role.clone().unwrap_or_default();
        if from == role {
            return Ok(RoleChange {
                login: member.login,
                from,
                to: role.to_string(),
                changed: false,
            });
        }
        let old_group = group_role(&from)?;
        // The login is a checked member's (created through check_login).
        tx.batch_execute(&format!(
            "REVOKE {old_group} FROM \"{login}\"; GRANT {new_group} TO \"{login}\";"
        ))
        .await?;
        tx.execute(
            "UPDATE handover.members SET role = $2 WHERE login = $1::text::name",
            &[&login, &role],
        )
        .await?;
        record(
            &tx,
            practice_id,
            "role_changed",
            serde_json::json!({ "login": login, "from": from, "to": role }),
            os_user,
        )
        .await?;
        tx.commit().await?;
        Ok(RoleChange {
            login: login.to_string(),
            from,
            to: role.to_string(),
            changed: true,
        })
    }

    /// Removes a person from the practice: the login can no longer log in (`NOLOGIN`), the
    /// member row is marked removed (kept: the log still names them), `person_removed` is
    /// recorded in the practice's log in the same transaction, and then the login's open
    /// sessions are ended. Needs a superuser login.
    pub async fn remove_user(
        &mut self,
        practice_id: &str,
        login: &str,
        os_user: &str,
    ) -> Result<Removal, PracticeError> {
        let tx = self.client.transaction().await?;
        let member = Self::person_for_change(&tx, practice_id, login).await?;
        tx.batch_execute(&format!("ALTER ROLE \"{}\" NOLOGIN", member.login))
            .await?;
        let removed_at: String = tx
            .query_one(
                &format!(
                    "UPDATE handover.members SET removed_at = now() WHERE login = $1::text::name \
                     RETURNING to_char(removed_at AT TIME ZONE 'UTC', {UTC})"
                ),
                &[&login],
            )
            .await?
            .get(0);
        record(
            &tx,
            practice_id,
            "person_removed",
            serde_json::json!({
                "login": login,
                "display_name": member.display_name,
                "role": member.role,
            }),
            os_user,
        )
        .await?;
        tx.commit().await?;
        // After the commit: a session ended now cannot log in again.
        let sessions_ended: i64 = self
            .client
            .query_one(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
                   FROM pg_catalog.pg_stat_activity
                  WHERE usename = $1 AND pid <> pg_backend_pid()",
                &[&login],
            )
            .await?
            .get(0);
        Ok(Removal {
            login: login.to_string(),
            removed_at,
            sessions_ended,
        })
    }

    /// Every login of `practice_id` (people and pullers, removed ones too), by login.
    pub async fn members(&self, practice_id: &str) -> Result<Vec<Member>, PracticeError> {
        check_practice_id(practice_id)?;
        let rows = self
            .client
            .query(
                &format!("{} WHERE practice_id = $1 ORDER BY login", member_select()),
                &[&practice_id],
            )
            .await?;
        Ok(rows.iter().map(member_row).collect())
    }
}
