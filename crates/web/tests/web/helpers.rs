//! The test harness: the real server on a random port of 127.0.0.1 with a fresh database
//! (SQLite in a temporary folder, or a schema of its own on PostgreSQL), the demo accounts,
//! and clients signed in as a browser (cookie + CSRF token) or as a machine (bearer token).

use hemaflow_domain::Role;
use hemaflow_service::ledger::{Entry, Ledger, Store};
use hemaflow_service::store::{AnyStore, PgStore};
use hemaflow_web::{App, demo};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = demo::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
    _folder: Option<tempfile::TempDir>,
    pg: Option<(PgStore, String)>,
    /// How to open the same database again (another process, or after a restart).
    reopen: Reopen,
}

#[derive(Clone)]
enum Reopen {
    Sqlite(String),
    Postgres { url: String, schema: String },
}

pub enum Database {
    Sqlite,
    Postgres(String),
}

/// The PostgreSQL URL of the test server, or a note that the PostgreSQL variant did not run.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("HEMAFLOW_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        eprintln!("HEMAFLOW_TEST_POSTGRES_URL is not set: the PostgreSQL variant was NOT run");
    }
    url
}

pub async fn spawn(database: Database) -> TestApp {
    spawn_with_limits(database, hemaflow_web::security::Limits::default()).await
}

/// A server whose rate, hashing, body and header limits are `limits`.
pub async fn spawn_with_limits(
    database: Database,
    limits: hemaflow_web::security::Limits,
) -> TestApp {
    let (ledger, folder, pg, reopen) = match database {
        Database::Sqlite => {
            let folder = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}", folder.path().join("web.db").display());
            let ledger = hemaflow_service::open(&url)
                .await
                .expect("open sqlite ledger");
            (ledger, Some(folder), None, Reopen::Sqlite(url))
        }
        Database::Postgres(url) => {
            let schema = format!(
                "hemaflow_test_web_{}_{}",
                std::process::id(),
                &hemaflow_web::auth::token::generate()[..8]
            );
            let store = PgStore::connect_in_schema(&url, &schema)
                .await
                .expect("schema");
            let ledger = Ledger::open(AnyStore::Postgres(store.clone()))
                .await
                .expect("open pg ledger");
            let reopen = Reopen::Postgres {
                url,
                schema: schema.clone(),
            };
            (ledger, None, Some((store, schema)), reopen)
        }
    };
    demo::accounts(&ledger).await.expect("demo accounts");
    serve_on(ledger, folder, pg, reopen, limits).await
}

async fn serve_on(
    ledger: hemaflow_service::BloodLedger,
    folder: Option<tempfile::TempDir>,
    pg: Option<(PgStore, String)>,
    reopen: Reopen,
    limits: hemaflow_web::security::Limits,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = App::with_limits(ledger, false, limits);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = app.clone();
    tokio::spawn(async move {
        hemaflow_web::serve(listener, server, async {
            let _ = stopped.await;
        })
        .await
        .expect("server");
    });
    TestApp {
        base: format!("http://{address}"),
        app,
        stop: Some(stop),
        _folder: folder,
        pg,
        reopen,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Another server process on the same database (its own ledger and connection pool).
    /// It must be stopped before this one (which owns the database's clean-up).
    pub async fn another_server(&self) -> TestApp {
        let store = match &self.reopen {
            Reopen::Sqlite(url) => hemaflow_service::store::connect(url)
                .await
                .expect("reopen sqlite"),
            Reopen::Postgres { url, schema } => AnyStore::Postgres(
                PgStore::connect_in_schema(url, schema)
                    .await
                    .expect("reopen schema"),
            ),
        };
        let ledger = Ledger::open(store).await.expect("open the ledger again");
        let limits = self.app.guards.limits;
        serve_on(ledger, None, None, self.reopen.clone(), limits).await
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((store, schema)) = self.pg.take() {
            store.drop_schema(&schema).await.expect("drop schema");
        }
    }

    /// The entries of the ledger but the sign-in attempts (every sign-in of a test client
    /// records one): what the commands under test recorded.
    pub async fn entries(&self) -> Vec<Entry> {
        let mut entries = self.all_entries().await;
        entries.retain(|e| e.event_type != "sign_in_recorded");
        entries
    }

    /// Every entry of the ledger.
    pub async fn all_entries(&self) -> Vec<Entry> {
        self.app
            .ledger
            .store()
            .entries_after(0, 100_000)
            .await
            .expect("entries")
    }

    /// A browser signed in as `user_id`: its client (cookies kept, redirects not followed)
    /// and the session's CSRF token read from a page.
    pub async fn browser(&self, user_id: &str) -> (reqwest::Client, String) {
        let client = browser_client();
        let response = self.sign_in(&client, user_id, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in of {user_id}");
        let home = client.get(self.url("/")).send().await.expect("home");
        let html = home.text().await.expect("html");
        (client, csrf_of(&html))
    }

    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        user_id: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page");
        let form_token = csrf_of(&page.text().await.expect("html"));
        client
            .post(self.url("/login"))
            .form(&[
                ("csrf", form_token.as_str()),
                ("username", user_id),
                ("password", password),
            ])
            .send()
            .await
            .expect("sign in")
    }

    /// A bearer token for `user_id`.
    pub async fn token(&self, user_id: &str) -> String {
        let response = reqwest::Client::new()
            .post(self.url("/api/session"))
            .json(&json!({"user_id": user_id, "password": PASSWORD}))
            .send()
            .await
            .expect("api sign-in");
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// POST /api/commands as `token`.
    pub async fn command(&self, token: &str, body: Value) -> (u16, Value, String) {
        let response = reqwest::Client::new()
            .post(self.url("/api/commands"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("command");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            response.json().await.unwrap_or(Value::Null),
            content_type,
        )
    }
}

pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The `seen` field of a page's forms: the ledger entry the page showed.
pub fn seen_of(html: &str) -> String {
    let marker = "name=\"seen\" value=\"";
    let start = html.find(marker).expect("a seen field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// The first `csrf` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + 64].to_owned()
}

pub fn user_of(role: Role) -> &'static str {
    demo::ACCOUNTS
        .iter()
        .find(|(_, _, r, _)| *r == role)
        .map(|(id, ..)| *id)
        .expect("a demo account per role")
}

/// The HTML of the page at `path`, as `client` reads it.
pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html")
}

/// A form posted as htmx posts it (`hx-request`): the status and the HTML answered.
pub async fn post_htmx(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(app.url(path))
        .header("hx-request", "true")
        .form(form)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}
