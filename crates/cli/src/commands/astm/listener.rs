//! One TCP listener per analyser: each connection runs the E1381 link; each whole message is
//! read, its results recorded as one batch and its host queries answered. Everything that
//! is not recorded is said in the run log (tracing, target `hemaflow::astm`), with the
//! analyser's name.

use std::sync::Arc;

use anyhow::Context as _;
use hemaflow_astm::{Event, Link, Role, Timers, drive, read_message};
use hemaflow_service::BloodLedger;
use hemaflow_web::App;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::analysers::Analyser;
use super::intake::{self, Recorded};

/// Binds every analyser's address and serves it until the process ends. Returns the bound
/// addresses once listening (port 0 gets a real port).
pub async fn start(
    app: App,
    analysers: Vec<Analyser>,
) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    let mut bound = Vec::new();
    for analyser in analysers {
        let listener = TcpListener::bind(analyser.address).await.with_context(|| {
            format!(
                "analyser {}: cannot listen on {}",
                analyser.name, analyser.address
            )
        })?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        tracing::info!(target: "hemaflow::astm", analyser = %analyser.name, kind = analyser.kind.as_str(), %address, "listening for the analyser");
        bound.push((analyser.name.clone(), address));
        tokio::spawn(accept(listener, Arc::new(analyser), app.clone()));
    }
    Ok(bound)
}

async fn accept(listener: TcpListener, analyser: Arc<Analyser>, app: App) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tracing::info!(target: "hemaflow::astm", analyser = %analyser.name, %peer, "analyser connected");
                tokio::spawn(connection(stream, analyser.clone(), app.clone()));
            }
            Err(error) => {
                tracing::warn!(target: "hemaflow::astm", analyser = %analyser.name, %error, "cannot accept a connection");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

async fn connection(stream: TcpStream, analyser: Arc<Analyser>, app: App) {
    let _ = stream.set_nodelay(true);
    let (events, mut received) = mpsc::channel(16);
    let (replies, outgoing) = mpsc::channel(16);
    let link = Link::new(Role::Computer, Timers::STANDARD);
    let driver = tokio::spawn(drive(stream, link, events, outgoing, None));
    while let Some(event) = received.recv().await {
        match event {
            Event::Received(records) => {
                if let Some(answer) = handle(&app.ledger, &analyser, &records).await {
                    let _ = replies.send(answer).await;
                }
            }
            Event::Sent => {
                tracing::info!(target: "hemaflow::astm", analyser = %analyser.name, "host query answered")
            }
            Event::Nak(error) => {
                tracing::warn!(target: "hemaflow::astm", analyser = %analyser.name, %error, "frame refused (NAK); the analyser sends it again")
            }
            Event::Failed(error) => {
                tracing::error!(target: "hemaflow::astm", analyser = %analyser.name, %error, "nothing of this transfer was recorded")
            }
        }
    }
    drop(replies);
    match driver.await {
        Ok(Ok(())) => {
            tracing::info!(target: "hemaflow::astm", analyser = %analyser.name, "analyser disconnected")
        }
        Ok(Err(error)) => {
            tracing::warn!(target: "hemaflow::astm", analyser = %analyser.name, %error, "connection lost")
        }
        Err(error) => {
            tracing::error!(target: "hemaflow::astm", analyser = %analyser.name, %error, "connection task failed")
        }
    }
}

/// One whole message: recorded, and its queries answered (the answer's records returned).
pub async fn handle(
    ledger: &BloodLedger,
    analyser: &Analyser,
    records: &[Vec<u8>],
) -> Option<Vec<Vec<u8>>> {
    let name = analyser.name.as_str();
    let (_, content) = match read_message(records) {
        Ok(read) => read,
        Err(error) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, %error, "message refused: nothing of it was recorded");
            return None;
        }
    };
    let id = intake::command_id(analyser, records);
    tracing::info!(target: "hemaflow::astm", analyser = name, message_id = %id, message = %intake::describe(&content), "message received");
    let planned = ledger
        .read(|state| intake::plan(analyser, &content, state))
        .await;
    let plan = match planned {
        Ok(Ok(plan)) => plan,
        Ok(Err(reason)) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, message_id = %id, reason, "message refused");
            return None;
        }
        Err(error) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, %error, "cannot read the record");
            return None;
        }
    };
    for note in &plan.notes {
        tracing::warn!(target: "hemaflow::astm", analyser = name, message_id = %id, note, "not recorded");
    }
    log_outcome(
        name,
        &id,
        intake::record(ledger, analyser, &id, plan.results).await,
    );
    if content.queries.is_empty() {
        return None;
    }
    let specimens: Vec<_> = content
        .queries
        .iter()
        .flat_map(|q| q.specimens.clone())
        .collect();
    let answer = ledger
        .read(|state| intake::answer_query(analyser, &specimens, state))
        .await;
    match answer {
        Ok(message) => Some(message.encode()),
        Err(error) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, %error, "cannot answer the host query");
            None
        }
    }
}

fn log_outcome(name: &str, id: &str, outcome: anyhow::Result<Recorded>) {
    match outcome {
        Ok(Recorded::Nothing) => {}
        Ok(Recorded::Accepted { results, sequence }) => {
            tracing::info!(target: "hemaflow::astm", analyser = name, message_id = id, results, sequence, "results recorded")
        }
        Ok(Recorded::Repeated { sequence }) => {
            tracing::warn!(target: "hemaflow::astm", analyser = name, message_id = id, sequence, "duplicate transmission: already recorded, nothing applied again")
        }
        Ok(Recorded::Refused { rule, message }) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, message_id = id, rule, message, "results refused; the refusal is on the record")
        }
        Err(error) => {
            tracing::error!(target: "hemaflow::astm", analyser = name, message_id = id, error = %format!("{error:#}"), "results not recorded")
        }
    }
}
