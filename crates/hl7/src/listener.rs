//! The MLLP listener of `hemaflow serve --mllp ADDR`: OMB^O27 from a hospital's system placed
//! on the ledger as a `PlaceOrder` and answered ORB^O28, on the same ledger as the web server.
//!
//! Every message gets exactly one answer. A message that cannot be read, is not an OMB^O27
//! of v2.5, or comes from a facility not configured (HL7-SENDER) is rejected (AR) before the
//! domain and logged as such; an order the message cannot express is AE with where and why;
//! an order the domain refuses is AE with the rule and the domain's message, and that refusal
//! is on the ledger as every refusal is. A resent message (same facility and MSH-10) is the
//! same command ID: the ledger answers it with its first answer, and nothing is placed twice.

use std::sync::Arc;
use std::time::Duration;

use hemaflow_domain::distribution::command::Command as DistributionCommand;
use hemaflow_domain::{ClientCommand, Command, Context, Role, Stamp};
use hemaflow_service::ledger::Outcome;
use hemaflow_web::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::ack::{AckCode, ErrorCode, Header, Location, Problem, acknowledge};
use crate::config::Hl7Settings;
use crate::er7::{Limits, Message};
use crate::mllp::{frame, take_frame};
use crate::orders::{
    Envelope, Refused, actor, command_id, orb, order_id, read_envelope, read_order, reply_parties,
    ts,
};

/// The largest frame accepted (the ER7 limit too).
pub const FRAME_BYTES_MAX: u32 = 1024 * 1024;
/// Connections served at once; more wait to be accepted.
pub const CONNECTIONS_MAX: usize = 64;
/// A connection with nothing received for this long is closed.
pub const IDLE: Duration = Duration::from_secs(300);

/// The most orders decided and committed together (see [`Placer`]).
pub const GROUP_COMMANDS_MAX: usize = 256;

/// The interface: the server's app, the `[hl7]` settings, and the placer that records orders.
#[derive(Clone)]
pub struct Interface {
    pub app: App,
    pub settings: Arc<Hl7Settings>,
    placer: Placer,
}

impl Interface {
    /// The interface on `app`; starts its placer task (call within the Tokio runtime).
    pub fn new(app: App, settings: Arc<Hl7Settings>) -> Interface {
        let placer = Placer::start(app.clone());
        Interface {
            app,
            settings,
            placer,
        }
    }
}

type Answer = Result<hemaflow_service::ledger::Receipt<hemaflow_domain::Event>, String>;

struct Placement {
    command_id: String,
    command: Command,
    context: Context,
    answer: tokio::sync::oneshot::Sender<Answer>,
}

/// Group commit for orders: the commands of messages that arrive while a commit is under way
/// are decided in order and recorded in one transaction (`Ledger::execute_batch`), each with
/// its own answer, so that many hospitals' systems sending at once share the durable commit
/// instead of queueing behind one commit each. A failed batch records nothing, and each of
/// its messages is answered AE.
#[derive(Clone)]
struct Placer {
    sender: tokio::sync::mpsc::Sender<Placement>,
}

impl Placer {
    fn start(app: App) -> Placer {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Placement>(GROUP_COMMANDS_MAX);
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP_COMMANDS_MAX {
                    match receiver.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                record(&app, group).await;
            }
        });
        Placer { sender }
    }

    async fn place(&self, command_id: String, command: Command, context: Context) -> Answer {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let placement = Placement {
            command_id,
            command,
            context,
            answer,
        };
        if self.sender.send(placement).await.is_err() {
            return Err("the placer has stopped".to_owned());
        }
        answered
            .await
            .unwrap_or_else(|_| Err("the placer has stopped".to_owned()))
    }
}

async fn record(app: &App, group: Vec<Placement>) {
    let commands: Vec<(&str, &Command, &Context)> = group
        .iter()
        .map(|p| (p.command_id.as_str(), &p.command, &p.context))
        .collect();
    let answers = app.ledger.execute_batch(&commands).await;
    match answers {
        Ok(answers) => {
            for (placement, answer) in group.into_iter().zip(answers) {
                let _ = placement.answer.send(answer.map_err(|e| e.to_string()));
            }
        }
        Err(error) => {
            let why = error.to_string();
            for placement in group {
                let _ = placement.answer.send(Err(why.clone()));
            }
        }
    }
}

/// Serves MLLP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    interface: Interface,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    tokio::pin!(shutdown);
    loop {
        // Shutdown is heard while every connection is taken, too.
        let permit = tokio::select! {
            () = &mut shutdown => return,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let interface = interface.clone();
                    tokio::spawn(async move {
                        connection(stream, &interface).await;
                        tracing::debug!(%peer, "MLLP connection closed");
                        drop(permit);
                    });
                }
                Err(error) => tracing::warn!(%error, "MLLP: cannot accept a connection"),
            },
        }
    }
}

async fn connection(mut stream: TcpStream, interface: &Interface) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            let (message, used) = match take_frame(&buffer, FRAME_BYTES_MAX) {
                Ok(Some((message, used))) => (message.to_vec(), used),
                Ok(None) => break,
                Err(error) => {
                    // No way to find the next frame: say so in the log and close.
                    tracing::warn!(%error, "MLLP: not a frame; closing the connection");
                    return;
                }
            };
            buffer.drain(..used);
            let reply = answer(interface, &message).await;
            if stream.write_all(&frame(reply.as_bytes())).await.is_err() {
                return;
            }
        }
        match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The answer (ER7) to one message, the order placed if it is one.
pub async fn answer(interface: &Interface, bytes: &[u8]) -> String {
    let settings = &interface.settings;
    let us = (settings.application(), settings.facility());
    let limits = Limits {
        message_bytes_max: FRAME_BYTES_MAX,
        ..Limits::default()
    };
    let message = match Message::parse_bytes(bytes, &limits) {
        Ok(message) => message,
        Err(error) => return unreadable(interface, bytes, &error.to_string()),
    };
    let now = interface.app.now();
    let at = ts(now);
    let parties = reply_parties(&message, us.0, us.1);
    let envelope = match read_envelope(&message) {
        Ok(envelope) => envelope,
        Err(refused) => {
            let control = message.get("MSH-10").unwrap_or_default().to_owned();
            log_rejection(&message, &refused);
            let trigger = message.get("MSH-9.2").unwrap_or_default();
            let header = Header {
                parties: &parties,
                at: &at,
                message_type: ["ACK", trigger, "ACK"],
                control_id: &reply_control(&control),
                processing_id: message.get("MSH-11").unwrap_or("P"),
            };
            return acknowledge(&header, refused.0, &control, &[refused.1]).to_er7();
        }
    };
    let (control, outcome) = place(interface, &message, &envelope).await;
    let header = Header {
        parties: &parties,
        at: &at,
        message_type: ["ORB", "O28", "ORB_O28"],
        control_id: &control,
        processing_id: &envelope.processing_id,
    };
    orb(
        &message,
        &header,
        &envelope.control_id,
        outcome.as_ref().map(String::as_str),
    )
    .to_er7()
}

/// Reads the order, places it, and gives the reply's control ID and the outcome.
async fn place(
    interface: &Interface,
    message: &Message,
    envelope: &Envelope,
) -> (String, Result<String, Refused>) {
    let rejected_control = reply_control(&envelope.control_id);
    let Some(sender) = interface.settings.sender(&envelope.facility) else {
        let refused = (
            AckCode::Reject,
            Problem {
                rule: Some("HL7-SENDER".to_owned()),
                ..Problem::new(
                    ErrorCode::UnknownKeyIdentifier,
                    Some(Location::field("MSH", 4)),
                    format!(
                        "HL7-SENDER: sending facility {:?} is not configured for any hospital; ask the blood centre to add it to [hl7.senders]",
                        envelope.facility
                    ),
                )
            },
        );
        log_rejection(message, &refused);
        return (rejected_control, Err(refused));
    };
    let request = match read_order(message, envelope) {
        Ok(request) => request,
        Err(refused) => {
            log_rejection(message, &refused);
            return (rejected_control, Err(refused));
        }
    };
    let id = order_id(&request.facility, &request.placer);
    let command = Command::Client(ClientCommand::Distribution(
        DistributionCommand::PlaceOrder {
            order_id: id.clone(),
            hospital: sender.hospital.clone(),
            lines: request.lines,
            priority: request.priority,
            needed_by: request.needed_by,
        },
    ));
    // The interface places for the hospital its facility is configured to, as distribution
    // places an order phoned in: the configuration is the binding.
    let context = Context {
        actor: actor(&request.facility),
        role: Role::Distribution,
        now: interface.app.now(),
        stamp: Stamp::Clock,
    };
    let command_id = command_id(&request.facility, &request.control_id);
    let receipt = interface.placer.place(command_id, command, context).await;
    match receipt {
        Ok(receipt) => {
            let control = format!("HF{}", receipt.first_sequence);
            match receipt.outcome {
                Outcome::Accepted { .. } => {
                    interface.app.metrics.command("place_order", "accepted");
                    tracing::info!(order = %id, facility = %request.facility, control_id = %request.control_id, repeated = receipt.repeated, "HL7 order placed");
                    (control, Ok(id))
                }
                Outcome::Refused { rule, message } => {
                    interface.app.metrics.command("place_order", "refused");
                    interface.app.metrics.refusal(&rule);
                    let problem = Problem {
                        rule: Some(rule.clone()),
                        ..Problem::new(
                            ErrorCode::ApplicationInternalError,
                            None,
                            // The domain's message already names its rule.
                            message,
                        )
                    };
                    (control, Err((AckCode::Error, problem)))
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, facility = %request.facility, control_id = %request.control_id, "HL7 order could not be recorded");
            let problem = Problem::new(
                ErrorCode::ApplicationInternalError,
                None,
                "Hemaflow could not record the order (nothing was placed): send it again",
            );
            (rejected_control, Err((AckCode::Error, problem)))
        }
    }
}

/// The control ID of an answer that the ledger did not number: `HFR` and the control ID
/// answered (cut to MSH-10's 20 characters).
fn reply_control(answered: &str) -> String {
    format!("HFR{}", answered.chars().take(17).collect::<String>())
}

fn log_rejection(message: &Message, (code, problem): &Refused) {
    tracing::warn!(
        facility = message.get("MSH-4").unwrap_or_default(),
        control_id = message.get("MSH-10").unwrap_or_default(),
        code = code.as_str(),
        error = problem.code.code(),
        "HL7 message refused before the domain: {}",
        problem.message
    );
}

/// The AR of bytes that are not a message; MSA-2 is the control ID if one can be seen.
fn unreadable(interface: &Interface, bytes: &[u8], why: &str) -> String {
    let text = String::from_utf8_lossy(bytes);
    let control: String = text
        .strip_prefix("MSH")
        .and_then(|rest| {
            let separator = rest.chars().next()?;
            let first_line = rest.split(['\r', '\n']).next()?;
            first_line.split(separator).nth(9).map(str::to_owned)
        })
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(20)
        .collect();
    tracing::warn!(control_id = %control, "HL7 message refused before the domain: {why}");
    let settings = &interface.settings;
    let parties = crate::ack::Parties {
        sending_application: settings.application().to_owned(),
        sending_facility: settings.facility().to_owned(),
        receiving_application: String::new(),
        receiving_facility: String::new(),
    };
    let at = ts(interface.app.now());
    let header = Header {
        parties: &parties,
        at: &at,
        message_type: ["ACK", "", "ACK"],
        control_id: &reply_control(&control),
        processing_id: "P",
    };
    let problem = Problem::new(
        ErrorCode::DataTypeError,
        None,
        format!("the message cannot be read: {why}"),
    );
    // MSA-2 is required: a message whose control ID cannot be read is answered as UNKNOWN.
    let answered = if control.is_empty() {
        "UNKNOWN"
    } else {
        control.as_str()
    };
    acknowledge(&header, AckCode::Reject, answered, &[problem]).to_er7()
}
