//! The one error every command returns: an [`ErrorReport`](handover_errors::ErrorReport)
//! (`{code, message}`). The UI branches on `code` (an `ErrorCode`, generated as a TypeScript
//! union); `message` is for people. Every core error converts into it the same way
//! (`From<E: Coded>`).

pub use handover_errors::ErrorReport as AppError;

pub type CmdResult<T> = Result<T, AppError>;
