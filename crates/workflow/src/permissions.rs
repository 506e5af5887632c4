//! Who may do what: the permission matrix, enforced here in the core (the window only hides
//! what the core would refuse anyway).
//!
//! | may                         | GP | Admin | Care coordinator | Pharmacist | Practice manager |
//! |-----------------------------|----|-------|------------------|------------|------------------|
//! | read, note, claim, decide actions, complete tasks, mark needs action | yes | yes | yes | yes | yes |
//! | match to the register       | yes | yes  | no               | no         | yes              |
//! | file                        | yes | yes  | yes              | yes        | yes              |
//! | reject as not known         | yes | yes  | no               | no         | yes              |
//! | assign to others            | yes | yes  | yes              | no         | yes              |
//! | sign off a GP review        | yes | no   | no               | no         | no               |
//! | verify the audit trail      | yes | no   | no               | no         | yes              |
//! | export the audit trail      | no  | no   | no               | no         | yes              |
//! | add people's profiles (in the app, once the first exists) | no | no | no | no | yes |
//! | sign off a medicines reconciliation | yes | no | no | yes | no |
//!
//! Filing a document that needs a GP's review is further limited to GPs (see
//! [`crate::state::WorkState::check_file`]).

use handover_store::Role;
use serde::Serialize;

/// Something a person may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Permission {
    /// Read, write notes, claim, decide actions, complete tasks, mark as needing action.
    Work,
    Match,
    File,
    Reject,
    Reassign,
    SignOff,
    VerifyAudit,
    Export,
    People,
    SignOffMedicines,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::Work,
        Permission::Match,
        Permission::File,
        Permission::Reject,
        Permission::Reassign,
        Permission::SignOff,
        Permission::VerifyAudit,
        Permission::Export,
        Permission::People,
        Permission::SignOffMedicines,
    ];

    /// In plain words, for "Your role (Admin) may not sign off a GP review".
    pub fn words(self) -> &'static str {
        match self {
            Permission::Work => "work on documents",
            Permission::Match => "match documents to the register",
            Permission::File => "file documents",
            Permission::Reject => "reject documents as not known",
            Permission::Reassign => "assign documents to others",
            Permission::SignOff => "sign off a GP review",
            Permission::VerifyAudit => "verify the audit trail",
            Permission::Export => "export the audit trail",
            Permission::People => "add people's profiles",
            Permission::SignOffMedicines => "sign off a medicines reconciliation",
        }
    }
}

/// Whether `role` may do `permission`.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        Work | File => true,
        Match | Reject => matches!(role, Gp | Admin | PracticeManager),
        Reassign => matches!(role, Gp | Admin | CareCoordinator | PracticeManager),
        SignOff => role == Gp,
        VerifyAudit => matches!(role, Gp | PracticeManager),
        Export | People => role == PracticeManager,
        SignOffMedicines => matches!(role, Gp | Pharmacist),
    }
}

/// What a role may do, for the window (which hides what it may not).
pub fn permissions_of(role: Role) -> Vec<Permission> {
    Permission::ALL
        .iter()
        .copied()
        .filter(|p| allows(role, *p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_the_documented_one() {
        // Rows of the table in the module docs, in its column order.
        let table: &[(Permission, [bool; 5])] = &[
            (Permission::Work, [true, true, true, true, true]),
            (Permission::Match, [true, true, false, false, true]),
            (Permission::File, [true, true, true, true, true]),
            (Permission::Reject, [true, true, false, false, true]),
            (Permission::Reassign, [true, true, true, false, true]),
            (Permission::SignOff, [true, false, false, false, false]),
            (Permission::VerifyAudit, [true, false, false, false, true]),
            (Permission::Export, [false, false, false, false, true]),
            (Permission::People, [false, false, false, false, true]),
            (
                Permission::SignOffMedicines,
                [true, false, false, true, false],
            ),
        ];
        let roles = [
            Role::Gp,
            Role::Admin,
            Role::CareCoordinator,
            Role::Pharmacist,
            Role::PracticeManager,
        ];
        for (permission, row) in table {
            for (role, expected) in roles.iter().zip(row) {
                assert_eq!(
                    allows(*role, *permission),
                    *expected,
                    "{role:?} {permission:?}"
                );
            }
        }
        assert_eq!(table.len(), Permission::ALL.len());
    }
}
