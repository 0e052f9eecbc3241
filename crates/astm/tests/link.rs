//! The E1381 state machine on made-up instants: the standard's timers, retries, contention,
//! NAKed frames sent again, and a message dropped whole when the sender stops mid-way.

use std::time::{Duration, Instant};

use hemaflow_astm::frame::{ACK, ENQ, EOT, NAK, encode_record_frames};
use hemaflow_astm::{Action, Link, LinkError, Role, Timers};

fn writes(actions: &[Action]) -> Vec<Vec<u8>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Write(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

fn message() -> Vec<Vec<u8>> {
    vec![b"H|\\^&".to_vec(), b"P|1".to_vec(), b"L|1|N".to_vec()]
}

/// Connects a sender and a receiver, passing every write across until both are quiet.
fn exchange(
    sender: &mut Link,
    receiver: &mut Link,
    first: Vec<Action>,
    now: Instant,
) -> Vec<Action> {
    let mut seen = Vec::new();
    let mut to_receiver = writes(&first);
    seen.extend(first);
    for _ in 0..100 {
        if to_receiver.is_empty() {
            break;
        }
        let mut to_sender = Vec::new();
        for bytes in to_receiver.drain(..) {
            let actions = receiver.receive(&bytes, now);
            to_sender.extend(writes(&actions));
            seen.extend(actions);
        }
        for bytes in to_sender {
            let actions = sender.receive(&bytes, now);
            to_receiver.extend(writes(&actions));
            seen.extend(actions);
        }
    }
    seen
}

#[test]
fn a_message_goes_across_frame_by_frame_and_arrives_whole() {
    let now = Instant::now();
    let mut instrument = Link::new(Role::Instrument, Timers::STANDARD);
    let mut computer = Link::new(Role::Computer, Timers::STANDARD);
    let first = instrument.send(message(), now);
    assert_eq!(writes(&first), vec![vec![ENQ]]);
    let seen = exchange(&mut instrument, &mut computer, first, now);
    assert!(seen.contains(&Action::Received(message())));
    assert!(seen.contains(&Action::Sent));
    assert!(instrument.is_idle() && computer.is_idle());
}

#[test]
fn a_nak_makes_the_sender_send_the_same_frame_again_and_six_naks_abort() {
    let now = Instant::now();
    let mut link = Link::new(Role::Instrument, Timers::STANDARD);
    link.send(message(), now);
    let first_frame = writes(&link.receive(&[ACK], now)).remove(0);
    for _ in 1..6 {
        assert_eq!(
            writes(&link.receive(&[NAK], now)),
            vec![first_frame.clone()]
        );
    }
    let actions = link.receive(&[NAK], now);
    assert_eq!(writes(&actions), vec![vec![EOT]]);
    assert!(actions.contains(&Action::Failed(LinkError::TooManyNaks {
        frame: 1,
        attempts: 6
    })));
}

#[test]
fn no_ack_within_15_seconds_aborts_the_transfer() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.send(message(), now);
    link.receive(&[ACK], now);
    assert_eq!(link.deadline(), Some(now + Duration::from_secs(15)));
    assert!(link.tick(now + Duration::from_secs(14)).is_empty());
    let actions = link.tick(now + Duration::from_secs(15));
    assert_eq!(writes(&actions), vec![vec![EOT]]);
    assert!(matches!(
        actions[1],
        Action::Failed(LinkError::AckTimeout { frame: 1, .. })
    ));
}

#[test]
fn a_receiver_waits_30_seconds_then_drops_the_partial_message() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.receive(&[ENQ], now);
    let frame = encode_record_frames(b"H|\\^&", 1)[0].encode();
    assert_eq!(writes(&link.receive(&frame, now)), vec![vec![ACK]]);
    assert!(link.tick(now + Duration::from_secs(29)).is_empty());
    let actions = link.tick(now + Duration::from_secs(30));
    assert_eq!(
        actions,
        vec![Action::Failed(LinkError::ReceiverTimeout(
            Duration::from_secs(30)
        ))]
    );
    assert!(link.is_idle());
}

#[test]
fn eot_before_the_terminator_delivers_nothing() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.receive(&[ENQ], now);
    link.receive(&encode_record_frames(b"H|\\^&", 1)[0].encode(), now);
    let actions = link.receive(&[EOT], now);
    assert_eq!(actions, vec![Action::Failed(LinkError::Incomplete)]);
}

#[test]
fn a_bad_checksum_is_naked_and_the_resent_frame_accepted_once() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.receive(&[ENQ], now);
    let good = encode_record_frames(b"H|\\^&", 1)[0].encode();
    let mut bad = good.clone();
    let at = bad.len() - 3;
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    let actions = link.receive(&bad, now);
    assert_eq!(writes(&actions), vec![vec![NAK]]);
    assert_eq!(writes(&link.receive(&good, now)), vec![vec![ACK]]);
    // The same frame again (our ACK lost): acknowledged, not read twice.
    assert_eq!(writes(&link.receive(&good, now)), vec![vec![ACK]]);
    let rest: Vec<u8> = [&b"P|1"[..], b"L|1|N"]
        .iter()
        .enumerate()
        .flat_map(|(i, r)| encode_record_frames(r, i as u8 + 2)[0].encode())
        .collect();
    let actions = link.receive(&rest, now);
    assert!(
        actions.contains(&Action::Received(message())),
        "{actions:?}"
    );
}

#[test]
fn an_out_of_order_frame_is_naked() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.receive(&[ENQ], now);
    let frame = encode_record_frames(b"H|\\^&", 3)[0].encode();
    assert_eq!(writes(&link.receive(&frame, now)), vec![vec![NAK]]);
}

#[test]
fn in_contention_the_instrument_wins_and_the_computer_waits_20_seconds() {
    let now = Instant::now();
    let mut instrument = Link::new(Role::Instrument, Timers::STANDARD);
    let mut computer = Link::new(Role::Computer, Timers::STANDARD);
    instrument.send(message(), now);
    computer.send(vec![b"H|\\^&".to_vec(), b"L|1|N".to_vec()], now);
    // Both ENQs cross: the computer yields, the instrument keeps its claim for 1 s.
    assert!(writes(&computer.receive(&[ENQ], now)).is_empty());
    assert!(writes(&instrument.receive(&[ENQ], now)).is_empty());
    assert_eq!(computer.deadline(), Some(now + Duration::from_secs(20)));
    let retry = instrument.tick(now + Duration::from_secs(1));
    assert_eq!(writes(&retry), vec![vec![ENQ]]);
    let later = now + Duration::from_secs(1);
    let seen = exchange(&mut instrument, &mut computer, retry, later);
    assert!(seen.contains(&Action::Received(message())));
    // Only after its 20 s does the computer ask for the line.
    assert!(writes(&computer.tick(now + Duration::from_secs(19))).is_empty());
    assert_eq!(
        writes(&computer.tick(now + Duration::from_secs(20))),
        vec![vec![ENQ]]
    );
}

#[test]
fn a_busy_receiver_makes_the_sender_wait_10_seconds_and_give_up_after_6_enqs() {
    let now = Instant::now();
    let mut link = Link::new(Role::Computer, Timers::STANDARD);
    link.send(message(), now);
    let mut at = now;
    for attempt in 1..6 {
        assert!(link.receive(&[NAK], at).is_empty(), "attempt {attempt}");
        at += Duration::from_secs(10);
        assert_eq!(writes(&link.tick(at)), vec![vec![ENQ]]);
    }
    let actions = link.receive(&[NAK], at);
    assert_eq!(actions, vec![Action::Failed(LinkError::Busy(6))]);
}
