//! `PracticeError`: what can go wrong talking to the practice server, with stable codes.

use handover_errors::{Coded, ErrorCode};
use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error("the practice server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the practice server refused the login: {0}")]
    Authentication(String),
    #[error("{0}")]
    InsecureConnection(String),
    #[error("{0}")]
    CertificateInvalid(String),
    #[error("{0}")]
    NotMember(String),
    #[error("no practice {0} on the practice server")]
    PracticeNotFound(String),
    #[error("{0}")]
    LeaseLost(String),
    #[error("{0}")]
    LeaseHeld(String),
    #[error("{0}")]
    EventIdConflict(String),
    #[error("{0}")]
    AlreadyFiled(String),
    /// A step made on a view of the document older than the practice log's: someone else
    /// changed it meanwhile ("changed by LOGIN at TIME since it was seen").
    #[error("{0}")]
    DocumentChanged(String),
    #[error("refused: {0}")]
    PermissionDenied(String),
    #[error("a database login named {0} exists already")]
    UserExists(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    UserNotFound(String),
    #[error("{0}")]
    UserInOtherPractice(String),
    #[error("{0}")]
    PullerLogin(String),
    #[error("{0}")]
    UserRemoved(String),
    #[error("the practice server's schema is version {found}; this Handover knows up to {known}")]
    SchemaTooNew { found: i32, known: i32 },
    #[error("practice server: {0}")]
    Database(String),
}

impl Coded for PracticeError {
    fn code(&self) -> ErrorCode {
        match self {
            PracticeError::Unreachable(_) => ErrorCode::PracticeUnreachable,
            PracticeError::Authentication(_) => ErrorCode::PracticeAuthentication,
            PracticeError::InsecureConnection(_) => ErrorCode::PracticeInsecureConnection,
            PracticeError::CertificateInvalid(_) => ErrorCode::PracticeCertificateInvalid,
            PracticeError::NotMember(_) => ErrorCode::PracticeNotMember,
            PracticeError::PracticeNotFound(_) => ErrorCode::PracticeNotFound,
            PracticeError::LeaseLost(_) => ErrorCode::LeaseLost,
            PracticeError::LeaseHeld(_) => ErrorCode::LeaseHeld,
            PracticeError::EventIdConflict(_) => ErrorCode::EventIdConflict,
            PracticeError::AlreadyFiled(_) => ErrorCode::AlreadyFiled,
            PracticeError::DocumentChanged(_) => ErrorCode::DocumentChanged,
            PracticeError::PermissionDenied(_) => ErrorCode::PermissionDenied,
            PracticeError::UserExists(_) => ErrorCode::UserExists,
            PracticeError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            PracticeError::UserNotFound(_) => ErrorCode::PracticeUserNotFound,
            PracticeError::UserInOtherPractice(_) => ErrorCode::PracticeUserOtherPractice,
            PracticeError::PullerLogin(_) => ErrorCode::PracticePullerLogin,
            PracticeError::UserRemoved(_) => ErrorCode::PracticeUserRemoved,
            PracticeError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            PracticeError::Database(_) => ErrorCode::DatabaseError,
        }
    }
}

impl From<tokio_postgres::Error> for PracticeError {
    fn from(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            // No answer from the server: the connection could not be made or broke.
            return PracticeError::Unreachable(e.to_string());
        };
        let message = db.message().to_string();
        match db.code().code() {
            "HOL01" => PracticeError::LeaseLost(message),
            "HOL02" => PracticeError::LeaseHeld(message),
            "HOE01" => PracticeError::EventIdConflict(message),
            "HOC01" => PracticeError::AlreadyFiled(message),
            "HOC02" => PracticeError::DocumentChanged(message),
            "HOP01" | "HOP02" => PracticeError::NotMember(message),
            "HOA01" => PracticeError::PermissionDenied(message),
            _ => {
                let code = db.code();
                if *code == SqlState::INSUFFICIENT_PRIVILEGE {
                    PracticeError::PermissionDenied(message)
                } else if *code == SqlState::INVALID_PASSWORD
                    || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                {
                    PracticeError::Authentication(message)
                } else if *code == SqlState::INVALID_PARAMETER_VALUE
                    || *code == SqlState::INVALID_TEXT_REPRESENTATION
                    || *code == SqlState::NULL_VALUE_NOT_ALLOWED
                    || *code == SqlState::STRING_DATA_RIGHT_TRUNCATION
                    || *code == SqlState::CHECK_VIOLATION
                {
                    PracticeError::InvalidArgument(message)
                } else if code.code().starts_with("08") || code.code().starts_with("57P") {
                    PracticeError::Unreachable(message)
                } else {
                    PracticeError::Database(format!("{message} [{}]", code.code()))
                }
            }
        }
    }
}
