//! The E1381 low-level protocol as a state machine with no I/O: bytes and the time go in,
//! bytes to write and finished messages come out. The TCP driver (`driver.rs`) and the tests
//! feed it; a test can run the standard's 15 and 30 second timers on made-up instants.
//!
//! Phases (E1381 §6): establishment (ENQ, answered ACK, or NAK when busy), transfer (frames
//! numbered from 1 modulo 8, each answered ACK, or NAK to have it sent again, at most 6 times),
//! termination (EOT). Contention (both sides send ENQ): the instrument wins; the computer
//! prepares to receive and waits 20 s before its next ENQ, the instrument 1 s.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::frame::{
    ACK, ENQ, EOT, FRAME_MAX, Frame, FrameError, LF, NAK, STX, encode_record_frames,
};

/// Which end of the link this is: it decides who wins contention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Instrument,
    Computer,
}

/// The standard's timers (E1381 §6.5.2); tests shorten them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// How long a sender waits for the reply to its ENQ or to a frame.
    pub sender: Duration,
    /// How long a receiver waits for the next frame or EOT.
    pub receiver: Duration,
    /// How long the receiver's NAK to an ENQ (busy) makes the sender wait.
    pub busy: Duration,
    /// How long the instrument waits after contention before its next ENQ.
    pub contention_instrument: Duration,
    /// How long the computer waits after contention before its next ENQ.
    pub contention_computer: Duration,
}

impl Timers {
    pub const STANDARD: Timers = Timers {
        sender: Duration::from_secs(15),
        receiver: Duration::from_secs(30),
        busy: Duration::from_secs(10),
        contention_instrument: Duration::from_secs(1),
        contention_computer: Duration::from_secs(20),
    };
}

/// A frame is sent at most this many times; then the sender gives up (E1381 §6.5.1.2).
pub const SEND_ATTEMPTS_MAX: u32 = 6;
/// An ENQ is sent at most this many times for one message.
pub const ENQ_ATTEMPTS_MAX: u32 = 6;
/// The most records one received message may hold, and the longest record: limits on what
/// the other end controls.
pub const RECORDS_MAX: usize = 10_000;
pub const RECORD_BYTES_MAX: usize = 64 * 1024;

/// Why a transfer failed or a received message was dropped.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("no reply to ENQ within {0:?}")]
    EstablishTimeout(Duration),
    #[error("the receiver stayed busy after {0} ENQs")]
    Busy(u32),
    #[error("frame {frame} was refused {attempts} times; the transfer was aborted")]
    TooManyNaks { frame: usize, attempts: u32 },
    #[error("no reply to frame {frame} within {after:?}; the transfer was aborted")]
    AckTimeout { frame: usize, after: Duration },
    #[error("no frame or EOT within {0:?}; the partial message was dropped")]
    ReceiverTimeout(Duration),
    #[error("the sender ended the transfer in the middle of a message (no L record)")]
    Incomplete,
    #[error("the message is larger than this link accepts ({0})")]
    TooLarge(&'static str),
}

/// What the link asks its driver to do, or tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the other end.
    Write(Vec<u8>),
    /// A whole message (H to L) arrived: its records, without the closing CRs.
    Received(Vec<Vec<u8>>),
    /// A frame was refused and NAKed (the sender will send it again).
    Nak(FrameError),
    /// The oldest queued message was delivered.
    Sent,
    /// The oldest queued message could not be delivered, or a received one was dropped.
    Failed(LinkError),
}

#[derive(Debug)]
enum State {
    Neutral,
    /// We sent ENQ and wait for its answer.
    Establishing {
        attempt: u32,
    },
    /// We sent `frames[index]` and wait for its ACK.
    Sending {
        frames: Vec<Vec<u8>>,
        index: usize,
        attempt: u32,
    },
    Receiving(Box<Inbound>),
}

#[derive(Debug, Default)]
struct Inbound {
    expected: u8,
    /// The bytes of the frame being read, from its STX.
    frame: Vec<u8>,
    /// The text of a record cut into ETB frames, so far.
    partial: Vec<u8>,
    records: Vec<Vec<u8>>,
    /// Set once a limit was passed: the rest of the transfer is acknowledged and dropped.
    overflowed: bool,
}

/// One end of an E1381 link.
#[derive(Debug)]
pub struct Link {
    role: Role,
    timers: Timers,
    state: State,
    deadline: Option<Instant>,
    /// No ENQ before this instant (after busy or contention).
    quiet_until: Option<Instant>,
    outbox: VecDeque<Vec<Vec<u8>>>,
    /// The number of the next ENQ for the oldest queued message.
    next_attempt: u32,
}

impl Link {
    pub fn new(role: Role, timers: Timers) -> Link {
        Link {
            role,
            timers,
            state: State::Neutral,
            deadline: None,
            quiet_until: None,
            outbox: VecDeque::new(),
            next_attempt: 1,
        }
    }

    /// When the driver must call [`Link::tick`] next, if at all.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.deadline, self.pending_start()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when nothing is being sent or received and nothing waits to be sent.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Neutral) && self.outbox.is_empty()
    }

    /// True while a message is being received.
    pub fn is_receiving(&self) -> bool {
        matches!(self.state, State::Receiving(_))
    }

    fn pending_start(&self) -> Option<Instant> {
        if !matches!(self.state, State::Neutral) || self.outbox.is_empty() {
            return None;
        }
        self.quiet_until
    }

    /// Queues a message (its records, each without a closing CR) and starts sending it if
    /// the line is free.
    pub fn send(&mut self, records: Vec<Vec<u8>>, now: Instant) -> Vec<Action> {
        self.outbox.push_back(records);
        let mut actions = Vec::new();
        self.start_if_free(now, &mut actions);
        actions
    }

    fn start_if_free(&mut self, now: Instant, actions: &mut Vec<Action>) {
        if !matches!(self.state, State::Neutral) || self.outbox.is_empty() {
            return;
        }
        if self.quiet_until.is_some_and(|until| now < until) {
            return;
        }
        self.quiet_until = None;
        self.enquire(self.next_attempt, now, actions);
    }

    fn enquire(&mut self, attempt: u32, now: Instant, actions: &mut Vec<Action>) {
        actions.push(Action::Write(vec![ENQ]));
        self.state = State::Establishing { attempt };
        self.deadline = Some(now + self.timers.sender);
    }

    /// Feeds bytes read from the other end.
    pub fn receive(&mut self, bytes: &[u8], now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        for byte in bytes {
            self.receive_byte(*byte, now, &mut actions);
        }
        self.start_if_free(now, &mut actions);
        actions
    }

    fn receive_byte(&mut self, byte: u8, now: Instant, actions: &mut Vec<Action>) {
        match &mut self.state {
            State::Neutral => {
                // Outside a transfer only ENQ means anything (E1381 §6.2).
                if byte == ENQ {
                    self.accept_enquiry(now, actions);
                }
            }
            State::Establishing { attempt } => {
                let attempt = *attempt;
                self.establishing(byte, attempt, now, actions);
            }
            State::Sending { .. } => self.sending(byte, now, actions),
            State::Receiving(_) => self.receiving(byte, now, actions),
        }
    }

    fn accept_enquiry(&mut self, now: Instant, actions: &mut Vec<Action>) {
        actions.push(Action::Write(vec![ACK]));
        self.state = State::Receiving(Box::new(Inbound {
            expected: 1,
            ..Inbound::default()
        }));
        self.deadline = Some(now + self.timers.receiver);
    }

    fn establishing(&mut self, byte: u8, attempt: u32, now: Instant, actions: &mut Vec<Action>) {
        match byte {
            ACK => self.start_frames(now, actions),
            NAK => self.back_off(attempt, now + self.timers.busy, actions),
            ENQ => match self.role {
                // Contention: the computer yields and gets ready to receive.
                Role::Computer => {
                    self.state = State::Neutral;
                    self.deadline = None;
                    self.quiet_until = Some(now + self.timers.contention_computer);
                }
                Role::Instrument => {
                    self.back_off(attempt, now + self.timers.contention_instrument, actions)
                }
            },
            _ => {}
        }
    }

    /// Waits until `until`, then sends ENQ again, unless the attempts are spent.
    fn back_off(&mut self, attempt: u32, until: Instant, actions: &mut Vec<Action>) {
        self.state = State::Neutral;
        self.deadline = None;
        if attempt >= ENQ_ATTEMPTS_MAX {
            self.outbox.pop_front();
            self.next_attempt = 1;
            actions.push(Action::Failed(LinkError::Busy(attempt)));
            return;
        }
        self.quiet_until = Some(until);
        self.next_attempt = attempt + 1;
    }

    fn start_frames(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let Some(records) = self.outbox.front() else {
            self.state = State::Neutral;
            self.deadline = None;
            actions.push(Action::Write(vec![EOT]));
            return;
        };
        let mut frames = Vec::new();
        let mut number = 1u8;
        for record in records {
            for frame in encode_record_frames(record, number) {
                number = (frame.number + 1) % 8;
                frames.push(frame.encode());
            }
        }
        assert!(
            !frames.is_empty(),
            "a queued message holds at least one record"
        );
        actions.push(Action::Write(frames[0].clone()));
        self.state = State::Sending {
            frames,
            index: 0,
            attempt: 1,
        };
        self.deadline = Some(now + self.timers.sender);
    }

    fn sending(&mut self, byte: u8, now: Instant, actions: &mut Vec<Action>) {
        let State::Sending {
            frames,
            index,
            attempt,
        } = &mut self.state
        else {
            unreachable!("sending() is called in the sending state only");
        };
        // EOT in reply to a frame asks us to stop (a receiver interrupt); the standard lets
        // the sender go on, which keeps a message whole, so it counts as an ACK here.
        if byte == ACK || byte == EOT {
            *index += 1;
            *attempt = 1;
            if *index == frames.len() {
                self.finish(actions);
                return;
            }
            actions.push(Action::Write(frames[*index].clone()));
            self.deadline = Some(now + self.timers.sender);
            return;
        }
        // Any other reply is a NAK (E1381 §6.3.5).
        if *attempt >= SEND_ATTEMPTS_MAX {
            let failed = LinkError::TooManyNaks {
                frame: *index + 1,
                attempts: *attempt,
            };
            self.abort(failed, actions);
            return;
        }
        *attempt += 1;
        actions.push(Action::Write(frames[*index].clone()));
        self.deadline = Some(now + self.timers.sender);
    }

    fn finish(&mut self, actions: &mut Vec<Action>) {
        self.next_attempt = 1;
        actions.push(Action::Write(vec![EOT]));
        self.outbox.pop_front();
        actions.push(Action::Sent);
        self.state = State::Neutral;
        self.deadline = None;
    }

    fn abort(&mut self, error: LinkError, actions: &mut Vec<Action>) {
        self.next_attempt = 1;
        actions.push(Action::Write(vec![EOT]));
        self.outbox.pop_front();
        actions.push(Action::Failed(error));
        self.state = State::Neutral;
        self.deadline = None;
    }

    fn receiving(&mut self, byte: u8, now: Instant, actions: &mut Vec<Action>) {
        let State::Receiving(inbound) = &mut self.state else {
            unreachable!("receiving() is called in the receiving state only");
        };
        if inbound.frame.is_empty() {
            match byte {
                STX => inbound.frame.push(STX),
                EOT => {
                    let incomplete = !inbound.records.is_empty() || !inbound.partial.is_empty();
                    self.state = State::Neutral;
                    self.deadline = None;
                    if incomplete {
                        actions.push(Action::Failed(LinkError::Incomplete));
                    }
                }
                // A repeated ENQ: the sender missed our ACK.
                ENQ => actions.push(Action::Write(vec![ACK])),
                _ => {}
            }
            return;
        }
        inbound.frame.push(byte);
        if byte != LF && inbound.frame.len() <= FRAME_MAX {
            return;
        }
        let bytes = std::mem::take(&mut inbound.frame);
        let reply = match Frame::parse(&bytes) {
            Ok(frame) => inbound.accept(frame, actions),
            Err(error) => {
                actions.push(Action::Nak(error));
                NAK
            }
        };
        actions.push(Action::Write(vec![reply]));
        self.deadline = Some(now + self.timers.receiver);
    }

    /// Called when the deadline passes.
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            self.deadline = None;
            match std::mem::replace(&mut self.state, State::Neutral) {
                State::Neutral => {}
                State::Establishing { .. } => {
                    // No answer to ENQ: terminate and give the message up.
                    let error = LinkError::EstablishTimeout(self.timers.sender);
                    self.abort(error, &mut actions);
                }
                State::Sending { index, .. } => {
                    let error = LinkError::AckTimeout {
                        frame: index + 1,
                        after: self.timers.sender,
                    };
                    self.abort(error, &mut actions);
                }
                State::Receiving(_) => actions.push(Action::Failed(LinkError::ReceiverTimeout(
                    self.timers.receiver,
                ))),
            }
        }
        self.start_if_free(now, &mut actions);
        actions
    }
}

impl Inbound {
    /// A frame that passed its checks: ACK if it is the next one or a repeat of the last one
    /// (our ACK was lost), NAK if it is out of order.
    fn accept(&mut self, frame: Frame, actions: &mut Vec<Action>) -> u8 {
        let previous = (self.expected + 7) % 8;
        if frame.number == previous {
            return ACK;
        }
        if frame.number != self.expected {
            return NAK;
        }
        self.expected = (self.expected + 1) % 8;
        if self.overflowed {
            return ACK;
        }
        self.partial.extend_from_slice(&frame.text);
        if self.partial.len() > RECORD_BYTES_MAX {
            return self.overflow("record longer than 64 KiB", actions);
        }
        if frame.last {
            let text = std::mem::take(&mut self.partial);
            for record in text
                .split(|b| *b == crate::frame::CR)
                .filter(|r| !r.is_empty())
            {
                if self.records.len() == RECORDS_MAX {
                    return self.overflow("more than 10,000 records", actions);
                }
                let terminator = record.first() == Some(&b'L');
                self.records.push(record.to_vec());
                if terminator {
                    actions.push(Action::Received(std::mem::take(&mut self.records)));
                }
            }
        }
        ACK
    }

    fn overflow(&mut self, what: &'static str, actions: &mut Vec<Action>) -> u8 {
        self.overflowed = true;
        self.partial.clear();
        self.records.clear();
        actions.push(Action::Failed(LinkError::TooLarge(what)));
        ACK
    }
}
