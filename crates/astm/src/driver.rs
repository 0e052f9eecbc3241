//! The E1381 link over a byte stream (a TCP connection): reads feed the state machine, its
//! timers run on tokio's clock, and what it asks to write is written. Messages to send come
//! in on a channel; what happens on the link goes out on another.

use std::io;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::frame::FrameError;
use crate::link::{Action, Link, LinkError};

/// What happened on the link, for the one who drives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A whole message arrived (its records, without their CRs).
    Received(Vec<Vec<u8>>),
    /// A queued message was delivered.
    Sent,
    /// A queued message could not be delivered, or a received one was dropped.
    Failed(LinkError),
    /// A frame was refused and NAKed.
    Nak(FrameError),
}

/// Changes bytes before they are written: the analyser simulator's way to send a bad
/// checksum. `None` in production.
pub type WriteFault = Box<dyn FnMut(&mut Vec<u8>) + Send>;

/// Runs `link` over `stream` until the other end closes it, or until `outgoing` is closed and
/// nothing is left to send or being received. A message half-received when the stream
/// closes is never reported as received.
pub async fn drive<S>(
    mut stream: S,
    mut link: Link,
    events: mpsc::Sender<Event>,
    mut outgoing: mpsc::Receiver<Vec<Vec<u8>>>,
    mut fault: Option<WriteFault>,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buffer = vec![0u8; 4096];
    let mut outgoing_open = true;
    loop {
        if !outgoing_open && link.is_idle() {
            stream.shutdown().await?;
            return Ok(());
        }
        let deadline = link.deadline().map(tokio::time::Instant::from_std);
        let actions = tokio::select! {
            read = stream.read(&mut buffer) => {
                // A reset (the other end closed with our replies unread) ends it as a close does.
                let count = match read {
                    Ok(count) => count,
                    Err(error) if error.kind() == io::ErrorKind::ConnectionReset => 0,
                    Err(error) => return Err(error),
                };
                if count == 0 {
                    if link.is_receiving() {
                        let _ = events.send(Event::Failed(LinkError::Incomplete)).await;
                    }
                    return Ok(());
                }
                link.receive(&buffer[..count], Instant::now())
            }
            message = outgoing.recv(), if outgoing_open => match message {
                Some(records) => link.send(records, Instant::now()),
                None => {
                    outgoing_open = false;
                    Vec::new()
                }
            },
            () = sleep_until(deadline), if deadline.is_some() => link.tick(Instant::now()),
        };
        for action in actions {
            let event = match action {
                Action::Write(mut bytes) => {
                    if let Some(fault) = fault.as_mut() {
                        fault(&mut bytes);
                    }
                    stream.write_all(&bytes).await?;
                    continue;
                }
                Action::Received(records) => Event::Received(records),
                Action::Sent => Event::Sent,
                Action::Failed(error) => Event::Failed(error),
                Action::Nak(error) => Event::Nak(error),
            };
            if events.send(event).await.is_err() {
                // Nobody listens any more: the connection has no purpose.
                return Ok(());
            }
        }
        stream.flush().await?;
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
