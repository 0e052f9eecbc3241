//! `hemaflow demo --mllp`: the real server with its MLLP listener on a free port. A Python
//! script (hl7apy STRICT, python-hl7's MLLP client; `crates/hl7/tests/requirements.txt`)
//! sends an OMB^O27 and checks the ORB^O28; the order is in the JSON API for its hospital;
//! when distribution ships it through the API, a BPS^O29 reaches the test's own MLLP
//! listener, which ACKs it, and passes hl7apy STRICT too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../hl7/tests/python/check_v2.py"
);

fn python() -> String {
    std::env::var("HEMAFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A hospital's receiver: each framed message is handed over and ACKed (AA).
fn hospital_receiver() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (sent, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buffer = Vec::new();
            let mut byte = [0u8; 1];
            while !buffer.ends_with(&[0x1C, 0x0D]) {
                if stream.read(&mut byte).unwrap() == 0 {
                    break;
                }
                buffer.push(byte[0]);
            }
            let text = String::from_utf8(buffer[1..buffer.len() - 2].to_vec()).unwrap();
            let control = text.split('\r').next().unwrap().split('|').nth(9).unwrap();
            let ack = format!(
                "\x0bMSH|^~\\&|HIS|GENHOSP|HEMAFLOW|BLOODBANK|20251125114002||ACK^O29^ACK|A{control}|P|2.5\rMSA|AA|{control}\r\x1c\r"
            );
            stream.write_all(ack.as_bytes()).unwrap();
            sent.send(text).unwrap();
        }
    });
    (address, received)
}

struct Server {
    child: Child,
    http: String,
    mllp: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(folder: &std::path::Path, bps_endpoint: &str) -> Server {
    let config = folder.join("hemaflow.toml");
    std::fs::write(
        &config,
        format!(
            "[hl7]\n[[hl7.senders]]\nfacility = \"GENHOSP\"\nhospital = \"mercy\"\nbps_endpoint = \"{bps_endpoint}\"\n"
        ),
    )
    .unwrap();
    let url = format!("sqlite://{}", folder.join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .arg("--config")
        .arg(&config)
        .args(["demo", "--database", &url, "--donors", "40", "--days", "10"])
        .args(["--bind", "127.0.0.1:0", "--mllp", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut http, mut mllp) = (None, None);
    let started = Instant::now();
    while http.is_none() || mllp.is_none() {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server stopped"
        );
        if let Some(rest) = line.split("http://").nth(1) {
            http = Some(rest.split('/').next().unwrap().to_owned());
        }
        if let Some(rest) = line.split("mllp://").nth(1) {
            mllp = Some(rest.trim().to_owned());
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no address");
    }
    // Keep reading standard output so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Server {
        child,
        http: http.unwrap(),
        mllp: mllp.unwrap(),
    }
}

fn omb(placer: &str) -> String {
    [
        "MSH|^~\\&|HIS|GENHOSP|HEMAFLOW|BLOODBANK|20251125101500||OMB^O27^OMB_O27|MSG90001|P|2.5|||AL|NE".to_owned(),
        "PID|1||MRN12345^^^GENHOSP^MR||DOE^JANE^A||19700101|F".to_owned(),
        "PV1|1|I|WARD3^301^1^GENHOSP".to_owned(),
        format!("ORC|NW|{placer}^HIS||GRP55^HIS|||||20251125101500|||1234^SMITH^JOHN^^^DR"),
        "TQ1|1||||||20251125120000||S^Stat^HL70485".to_owned(),
        "BPO|1|FFP^Fresh Frozen Plasma^HL70426||1".to_owned(),
        "OBX|1|CWE|882-1^ABO and Rh group^LN||O Pos||||||F".to_owned(),
    ]
    .join("\r")
        + "\r"
}

fn python_check(args: &[&str]) -> String {
    let output = Command::new(python())
        .arg(CHECKER)
        .args(args)
        .output()
        .expect("python runs (set HEMAFLOW_PYTHON)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn sign_in(client: &reqwest::Client, http: &str, user: &str) -> String {
    let answer: Value = client
        .post(format!("http://{http}/api/session"))
        .json(&json!({"user_id": user, "password": hemaflow_web_password()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

fn hemaflow_web_password() -> &'static str {
    "hemaflow-demo"
}

async fn command(client: &reqwest::Client, http: &str, token: &str, command: Value) {
    let answer = client
        .post(format!("http://{http}/api/commands"))
        .bearer_auth(token)
        .json(&json!({ "command": command }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = answer.text().await.unwrap();
    assert!(status.is_success(), "{command}: {status} {body}");
}

#[test]
fn an_omb_from_python_becomes_an_order_and_its_shipment_a_bps_to_the_hospital() {
    let folder = tempfile::tempdir().unwrap();
    let (receiver, bps) = hospital_receiver();
    let server = start(folder.path(), &receiver);

    let omb_path = folder.path().join("omb.hl7");
    std::fs::write(&omb_path, omb("ORD900")).unwrap();
    let reply: Value = serde_json::from_str(
        python_check(&["send", &server.mllp, omb_path.to_str().unwrap()]).trim(),
    )
    .unwrap();
    assert_eq!(reply["type"], "ORB^O28^ORB_O28", "{reply}");
    assert_eq!(reply["msa1"], "AA", "{reply}");
    assert_eq!(reply["msa2"], "MSG90001");
    let order_id = "ORD-GENHOSP-ORD900";
    assert_eq!(reply["order_id"], order_id);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let hospital = sign_in(&client, &server.http, "hospital").await;
        let order: Value = client
            .get(format!("http://{}/api/orders/{order_id}", server.http))
            .bearer_auth(&hospital)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(order["order"]["hospital"], "mercy", "{order}");
        assert_eq!(order["order"]["placed_by"], "hl7:GENHOSP", "{order}");

        let shipper = sign_in(&client, &server.http, "shipper").await;
        let proposal: Value = client
            .get(format!(
                "http://{}/api/orders/{order_id}/proposal?site=DC",
                server.http
            ))
            .bearer_auth(&shipper)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let units: Vec<Value> = proposal["lines"][0]["units"]
            .as_array()
            .unwrap_or_else(|| panic!("{proposal}"))
            .iter()
            .map(|u| json!({"line": 0, "component": u["component"]}))
            .collect();
        assert!(!units.is_empty(), "{proposal}");
        command(
            &client,
            &server.http,
            &shipper,
            json!({"type": "allocate_order", "order_id": order_id, "units": units}),
        )
        .await;
        for unit in &units {
            command(&client, &server.http, &shipper, json!({"type": "pick_unit", "shipment_id": "SHP-HL7-1", "order_id": order_id, "component": unit["component"]})).await;
        }
        let frozen = hemaflow_domain::config::Config::default().distribution.frozen;
        command(&client, &server.http, &shipper, json!({"type": "ship_shipment", "shipment_id": "SHP-HL7-1", "box_id": "BOX-7", "temperature_range": frozen, "courier": "Courier"})).await;
    });

    let message = bps
        .recv_timeout(Duration::from_secs(30))
        .expect("a BPS^O29 reaches the hospital");
    assert!(message.contains("BPS^O29^BPS_O29"), "{message:?}");
    assert!(message.contains(order_id), "{message:?}");
    let bps_path = folder.path().join("bps.hl7");
    std::fs::write(&bps_path, &message).unwrap();
    let checked = python_check(&["validate", bps_path.to_str().unwrap()]);
    assert!(checked.contains("BPS_O29"), "{checked}");
    assert!(
        bps.recv_timeout(Duration::from_secs(2)).is_err(),
        "one BPS^O29 per shipment"
    );
}
