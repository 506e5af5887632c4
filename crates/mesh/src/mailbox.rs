//! The [`Mailbox`] trait: what the sync engine needs from a MESH mailbox, whatever
//! carries it (the MESH API or a folder).

use std::future::Future;

use crate::error::MeshError;
use crate::message::{InboxListing, Message, OutboundMessage};

/// A mailbox that messages can be listed, downloaded, acknowledged and sent through.
///
/// Invariant: implementations never acknowledge anything on their own.
/// [`Mailbox::acknowledge`] is the only call that removes a message from the
/// inbox, and the caller must make it only after the downloaded message has been
/// durably committed locally. Downloading is repeatable: a message that was
/// downloaded but not acknowledged is listed again on the next poll.
pub trait Mailbox: Send + Sync {
    /// The (upper-case) mailbox id.
    fn mailbox_id(&self) -> &str;

    /// Checks the mailbox is reachable and the credentials work. MESH asks
    /// clients to do this once per day (and at start-up).
    fn handshake(&self) -> impl Future<Output = Result<(), MeshError>> + Send;

    /// Lists waiting (not yet acknowledged) message ids, oldest first, following
    /// every page. `workflow_filter` uses MESH syntax (`WF`, `!WF`, `WF*`, `*X*`, …).
    fn list_inbox(
        &self,
        workflow_filter: Option<&str>,
    ) -> impl Future<Output = Result<InboxListing, MeshError>> + Send;

    /// Downloads one message completely (every chunk, decompressed). REPORT
    /// messages (non-delivery reports) come back with `report` set.
    fn download(&self, message_id: &str)
        -> impl Future<Output = Result<Message, MeshError>> + Send;

    /// Acknowledges a message, removing it from the inbox. Idempotent: acking an
    /// already-acknowledged message succeeds.
    fn acknowledge(&self, message_id: &str) -> impl Future<Output = Result<(), MeshError>> + Send;

    /// Sends a message; returns its MESH message id.
    fn send(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<String, MeshError>> + Send;

    /// Whether [`Mailbox::find_sent`] can tell a message sent before (MESH can, by local id; a
    /// folder cannot, and does not need to: it does not write a local id twice).
    fn can_find_sent(&self) -> bool {
        false
    }

    /// A message this mailbox sent with `local_id` as its `mex-LocalID`: `Ok(Some(id))` when it
    /// was sent, `Ok(None)` when it certainly was not. Only meaningful when
    /// [`Mailbox::can_find_sent`]; the default finds nothing.
    fn find_sent(
        &self,
        local_id: &str,
    ) -> impl Future<Output = Result<Option<String>, MeshError>> + Send {
        let _ = local_id;
        async { Ok(None) }
    }
}

impl<M: Mailbox> Mailbox for std::sync::Arc<M> {
    fn mailbox_id(&self) -> &str {
        (**self).mailbox_id()
    }
    async fn handshake(&self) -> Result<(), MeshError> {
        (**self).handshake().await
    }
    async fn list_inbox(&self, workflow_filter: Option<&str>) -> Result<InboxListing, MeshError> {
        (**self).list_inbox(workflow_filter).await
    }
    async fn download(&self, message_id: &str) -> Result<Message, MeshError> {
        (**self).download(message_id).await
    }
    async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        (**self).acknowledge(message_id).await
    }
    async fn send(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        (**self).send(message).await
    }
    fn can_find_sent(&self) -> bool {
        (**self).can_find_sent()
    }
    async fn find_sent(&self, local_id: &str) -> Result<Option<String>, MeshError> {
        (**self).find_sent(local_id).await
    }
}

/// Either kind of mailbox, chosen at run time from settings (the trait is not
/// object-safe, so use this instead of `dyn Mailbox`).
#[derive(Debug)]
pub enum AnyMailbox {
    Mesh(Box<crate::MeshClient>),
    Folder(crate::FolderMailbox),
}

impl Mailbox for AnyMailbox {
    fn mailbox_id(&self) -> &str {
        match self {
            Self::Mesh(m) => Mailbox::mailbox_id(m.as_ref()),
            Self::Folder(f) => f.mailbox_id(),
        }
    }
    async fn handshake(&self) -> Result<(), MeshError> {
        match self {
            Self::Mesh(m) => m.handshake().await,
            Self::Folder(f) => f.handshake().await,
        }
    }
    async fn list_inbox(&self, workflow_filter: Option<&str>) -> Result<InboxListing, MeshError> {
        match self {
            Self::Mesh(m) => m.list_inbox(workflow_filter).await,
            Self::Folder(f) => f.list_inbox(workflow_filter).await,
        }
    }
    async fn download(&self, message_id: &str) -> Result<Message, MeshError> {
        match self {
            Self::Mesh(m) => m.download(message_id).await,
            Self::Folder(f) => f.download(message_id).await,
        }
    }
    async fn acknowledge(&self, message_id: &str) -> Result<(), MeshError> {
        match self {
            Self::Mesh(m) => m.acknowledge(message_id).await,
            Self::Folder(f) => f.acknowledge(message_id).await,
        }
    }
    async fn send(&self, message: &OutboundMessage) -> Result<String, MeshError> {
        match self {
            Self::Mesh(m) => m.send(message).await,
            Self::Folder(f) => f.send(message).await,
        }
    }
    fn can_find_sent(&self) -> bool {
        match self {
            Self::Mesh(m) => Mailbox::can_find_sent(m.as_ref()),
            Self::Folder(f) => f.can_find_sent(),
        }
    }
    async fn find_sent(&self, local_id: &str) -> Result<Option<String>, MeshError> {
        match self {
            Self::Mesh(m) => m.find_sent(local_id).await,
            Self::Folder(f) => f.find_sent(local_id).await,
        }
    }
}
