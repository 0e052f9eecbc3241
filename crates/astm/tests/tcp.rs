//! The link over a real TCP connection on 127.0.0.1: a message with a corrupted frame is
//! NAKed and arrives whole after the resend; a connection dropped mid-message delivers nothing.

use std::time::Duration;

use hemaflow_astm::driver::WriteFault;
use hemaflow_astm::frame::STX;
use hemaflow_astm::{Event, Link, LinkError, Role, Timers, drive};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

fn message() -> Vec<Vec<u8>> {
    vec![
        b"H|\\^&|||SIM^1".to_vec(),
        b"O|1|=A99992600001209||^^^MPX".to_vec(),
        b"R|1|^^^MPX^INTERP|Nonreactive|||N||F".to_vec(),
        b"L|1|N".to_vec(),
    ]
}

/// Corrupts the checksum of the second frame written, once.
fn corrupt_second_frame() -> WriteFault {
    let mut frames = 0;
    Box::new(move |bytes: &mut Vec<u8>| {
        if bytes.first() == Some(&STX) {
            frames += 1;
            if frames == 2 {
                let at = bytes.len() - 3;
                bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            }
        }
    })
}

async fn receiver() -> (std::net::SocketAddr, mpsc::Receiver<Event>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (events, received) = mpsc::channel(64);
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (_keep, outgoing) = mpsc::channel(1);
        let link = Link::new(Role::Computer, Timers::STANDARD);
        let _ = drive(stream, link, events, outgoing, None).await;
    });
    (address, received)
}

#[tokio::test]
async fn a_bad_checksum_is_naked_and_the_message_arrives_whole_after_the_resend() {
    let (address, mut received) = receiver().await;
    let stream = TcpStream::connect(address).await.expect("connect");
    let (events, mut sender_events) = mpsc::channel(64);
    let (outgoing, queue) = mpsc::channel(4);
    outgoing.send(message()).await.expect("queue");
    drop(outgoing);
    let link = Link::new(Role::Instrument, Timers::STANDARD);
    let sender = tokio::spawn(drive(
        stream,
        link,
        events,
        queue,
        Some(corrupt_second_frame()),
    ));
    let first = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("in time");
    assert!(
        matches!(
            first,
            Some(Event::Nak(hemaflow_astm::FrameError::Checksum { .. }))
        ),
        "{first:?}"
    );
    let second = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("in time");
    assert_eq!(second, Some(Event::Received(message())));
    sender.await.expect("joined").expect("no I/O error");
    assert_eq!(sender_events.recv().await, Some(Event::Sent));
}

#[tokio::test]
async fn a_connection_dropped_mid_message_delivers_nothing() {
    let (address, mut received) = receiver().await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(&[0x05]).await.expect("enq");
    let frames = hemaflow_astm::encode_record_frames(b"H|\\^&", 1);
    stream.write_all(&frames[0].encode()).await.expect("frame");
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    let event = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("in time");
    assert_eq!(event, Some(Event::Failed(LinkError::Incomplete)));
    assert_eq!(received.recv().await, None, "nothing else, and no message");
}
