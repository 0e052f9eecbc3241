//! The browser test: real headless Chromium (Debian's `chromium` and `chromedriver`, installed by
//! `scripts/install-browser.sh`) driven over WebDriver against the real server. It signs in and
//! scans a DIN into the look-up field with Enter, as a scanner does, and saves screenshots under
//! `target/screenshots/`; with `HEMAFLOW_UPDATE_SCREENSHOTS=1` it also copies the main ones to
//! `docs/screenshots/` (never otherwise, so that a test run leaves the work tree as it was).
//! Without Chromium it fails with the install hint, unless `HEMAFLOW_SKIP_BROWSER_TESTS=1` says
//! to skip it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};
use serde_json::{Value, json};

/// A user ID, the name the header shows once signed in, and (path, screenshot name) pairs.
type SignedInPages = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// WebDriver's key code for Enter, the end of every scan.
const ENTER: &str = "\u{E007}";

struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"]
            }
        }}});
        let mut driver = Driver {
            process,
            base,
            session: String::new(),
            http,
        };
        let answer = driver.call("POST", "/session", capabilities).await;
        driver.session = answer["sessionId"].as_str().expect("a session").to_owned();
        driver
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let answer = self.call_raw(method, path, body).await;
        assert!(
            answer["value"]["error"].is_null(),
            "WebDriver {method} {path}: {answer}"
        );
        answer["value"].clone()
    }

    /// A WebDriver call whose error is the caller's to judge (an element gone stale while a
    /// page loads).
    async fn call_raw(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}/session", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        request
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json")
    }

    /// The text of `css`, or `None` while the page is changing under it.
    async fn try_text(&self, css: &str) -> Option<String> {
        let found = self
            .call_raw(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        let element = found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)?
            .to_owned();
        let text = self
            .call_raw("GET", &format!("/element/{element}/text"), Value::Null)
            .await;
        text["value"].as_str().map(str::to_owned)
    }

    /// Ends the session, which closes Chromium; dropping the driver then stops chromedriver.
    async fn quit(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
    }

    async fn go(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let element = self
            .call(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        element
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element id")
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call("GET", &format!("/element/{element}/text"), Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn active_element_id(&self) -> String {
        let element = self.call("GET", "/element/active", Value::Null).await;
        let id = element
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str);
        id.unwrap_or_default().to_owned()
    }

    async fn screenshot(&self, name: &str) {
        let data = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a PNG");
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&folder).expect("screenshot folder");
        std::fs::write(folder.join(format!("{name}.png")), png).expect("screenshot");
    }

    /// Sizes the window (the viewport of a 1280x800 screen, or a tablet held upright).
    async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Signs in through the form, as a person does.
    async fn sign_in(&self, base: &str, user_id: &str, name: &str) {
        self.go(&format!("{base}/login")).await;
        self.type_into("#username", user_id).await;
        self.type_into("#password", &format!("{}{ENTER}", demo::DEMO_PASSWORD))
            .await;
        self.wait_for_text("header", name).await;
    }

    /// The page has no horizontal overflow: its scroll width fits the viewport.
    async fn assert_fits(&self, what: &str) {
        let widths = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let (scroll, viewport) = (widths[0].as_i64(), widths[1].as_i64());
        assert!(
            matches!((scroll, viewport), (Some(s), Some(v)) if s <= v),
            "{what}: the page is {scroll:?} px wide in a {viewport:?} px viewport"
        );
    }

    /// Waits until `css` shows text containing `wanted`; the time it took.
    async fn wait_for_text(&self, css: &str, wanted: &str) -> Duration {
        let started = Instant::now();
        loop {
            let text = self.try_text(css).await.unwrap_or_default();
            if text.contains(wanted) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{css} never showed {wanted:?}: {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn browser_available() -> bool {
    if std::env::var("HEMAFLOW_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("HEMAFLOW_SKIP_BROWSER_TESTS=1: the browser test was NOT run");
        return false;
    }
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !std::path::Path::new(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "{missing:?} not installed: run `sh scripts/install-browser.sh` (apt-get install chromium chromium-driver), \
         or set HEMAFLOW_SKIP_BROWSER_TESTS=1 to skip the browser test"
    );
    true
}

#[tokio::test]
async fn a_technologist_signs_in_and_scans_a_din_into_the_look_up_field() {
    if !browser_available() {
        return;
    }
    let folder = tempfile::tempdir().expect("folder");
    let url = format!("sqlite://{}", folder.path().join("browser.db").display());
    let ledger = hemaflow_service::open(&url).await.expect("ledger");
    demo::accounts(&ledger).await.expect("accounts");
    let (din, units) = demo::donation(&ledger, "Browser", (Abo::O, RhD::Positive), Stop::Produced)
        .await
        .expect("a donation");
    let red_cells = units
        .iter()
        .find(|u| u.contains("-D2"))
        .expect("red cells")
        .clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = hemaflow_web::App::new(ledger, false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hemaflow_web::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let driver = Driver::start().await;
    driver.go(&format!("{base}/login")).await;
    driver.screenshot("sign-in").await;
    driver.type_into("#username", "maker").await;
    driver
        .type_into("#password", &format!("{}{ENTER}", demo::DEMO_PASSWORD))
        .await;
    driver.wait_for_text("header", "Manu Maker").await;
    let scan_field = driver.find("#scan").await;
    assert_eq!(
        driver.active_element_id().await,
        scan_field,
        "the scan field has the focus"
    );

    // The scanner types the barcode and Enter.
    driver.type_into("#scan", &format!("={din}00{ENTER}")).await;
    let answered = driver.wait_for_text("#unit", &din).await;
    eprintln!("scan to answer on screen: {answered:?}");
    let unit = driver.text("#unit").await;
    assert!(unit.contains("quarantined"), "{unit}");
    assert!(
        unit.contains("the final label has not been scanned"),
        "{unit}"
    );
    driver.screenshot("unit-look-up").await;

    // A product code scanned into the DIN field is refused next to it, and the field is ready
    // for the next scan.
    driver
        .type_into("#scan", &format!("=<D2000V00{ENTER}"))
        .await;
    driver.wait_for_text("#unit", "is not a DIN").await;
    assert_eq!(driver.active_element_id().await, driver.find("#scan").await);
    // A scan answered leaves its field ready to be replaced: empty, or its text selected.
    let selected = driver
        .script("var f = document.activeElement; return [f.selectionStart, f.selectionEnd, f.value.length];")
        .await;
    assert!(
        selected[0] == 0 && selected[1] == selected[2],
        "the refused scan is cleared or selected for the next: {selected}"
    );
    driver.screenshot("scan-refused").await;

    // The release queue says in words what blocks the unit.
    driver.go(&format!("{base}/release")).await;
    driver
        .wait_for_text("main", "the final label has not been scanned")
        .await;
    driver.screenshot("release-queue").await;

    // A refused signature empties its password field: the right password typed next is not
    // appended to the wrong one.
    driver.go(&format!("{base}/release")).await;
    driver
        .click(&format!("#row-{red_cells} details summary"))
        .await;
    driver
        .type_into(&format!("#reason-{red_cells}"), "bag punctured")
        .await;
    driver
        .type_into(
            &format!("#dpassword-{red_cells}"),
            &format!("not my password{ENTER}"),
        )
        .await;
    driver
        .wait_for_text(&format!("#answer-{red_cells}"), "P11-SIGN")
        .await;
    let left = driver
        .script(&format!(
            "return document.getElementById('dpassword-{red_cells}').value;"
        ))
        .await;
    assert_eq!(left, "", "the wrong password is gone from the field");

    // Production: the unit's two barcodes scanned into the modification form, Enter after
    // each; the new unit is named next to the form.
    driver.go(&format!("{base}/production")).await;
    let (unit_din, code) = red_cells.split_once('-').expect("DIN-code");
    driver
        .type_into("#modify-din", &format!("={unit_din}00{ENTER}"))
        .await;
    assert_eq!(
        driver.active_element_id().await,
        driver.find("#modify-product").await,
        "Enter after the DIN moves to the product code"
    );
    driver
        .type_into("#modify-product", &format!("=<{code}{ENTER}"))
        .await;
    driver.wait_for_text("#modified", "Irradiated").await;
    driver.screenshot("production-modify").await;
    // The same form again from the page as it was: the unit changed meanwhile.
    driver
        .type_into("#modify-din", &format!("={unit_din}00{ENTER}"))
        .await;
    driver
        .type_into("#modify-product", &format!("=<{code}{ENTER}"))
        .await;
    driver.wait_for_text("#modified", "look again").await;

    // Every main page at 1280x800 and on a tablet held upright (768x1024): nothing wider than
    // the screen. Screenshots of both sizes.
    let pages: &[SignedInPages] = &[
        (
            "maker",
            "Manu Maker",
            &[
                ("/", "home"),
                ("/production", "production"),
                ("/labels", "labels"),
                ("/release", "release-queue"),
                ("/inventory", "inventory"),
                ("/reports", "reports"),
            ],
        ),
        (
            "quality",
            "Quinn Quality",
            &[
                ("/donors?name=Br", "donors"),
                ("/quality", "quality"),
                ("/returns", "returns"),
            ],
        ),
        ("hospital", "Hal Hospital", &[("/portal", "portal")]),
        (
            "shipper",
            "Dana Distribution",
            &[
                ("/distribution", "distribution"),
                ("/distribution/transfers", "transfers"),
            ],
        ),
        (
            "collector",
            "Cole Collector",
            &[("/collection", "collection")],
        ),
        ("labtech", "Lena Labtech", &[("/testing", "testing")]),
        ("admin", "Ada Admin", &[("/admin/users", "users")]),
    ];
    for (user_id, name, paths) in pages {
        driver.resize(1280, 800).await;
        driver.sign_in(&base, user_id, name).await;
        for (path, shot) in *paths {
            for (width, height, size) in [(1280, 800, "desktop"), (768, 1024, "tablet")] {
                driver.resize(width, height).await;
                driver.go(&format!("{base}{path}")).await;
                driver.wait_for_text("header", name).await;
                driver.assert_fits(&format!("{path} at {size}")).await;
                driver.screenshot(&format!("{shot}-{size}")).await;
            }
        }
    }
    driver.resize(768, 1024).await;
    driver.go(&format!("{base}/login")).await;
    driver.assert_fits("/login at tablet").await;
    driver.screenshot("sign-in-tablet").await;

    publish(&[
        "sign-in",
        "unit-look-up",
        "scan-refused",
        "release-queue",
        "production-modify",
        "home-tablet",
        "donors-tablet",
        "production-tablet",
        "quality-tablet",
        "release-queue-tablet",
        "users-tablet",
    ]);
    driver.quit().await;
    let _ = stop.send(());
    let _ = server.await;
}

impl Driver {
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    async fn current_url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn scroll_to_top(&self) {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "window.scrollTo(0, 0);", "args": []}),
        )
        .await;
    }

    /// Signs out by forgetting the session cookie, then signs in as `user`.
    async fn sign_in_as(&self, base: &str, user: &str, name: &str) {
        let url = format!("{}/session/{}/cookie", self.base, self.session);
        let _ = self.http.delete(url).send().await;
        self.go(&format!("{base}/login")).await;
        self.type_into("#username", user).await;
        self.type_into("#password", &format!("{}{ENTER}", demo::DEMO_PASSWORD))
            .await;
        self.wait_for_text("header", name).await;
    }
}

/// The variable that asks the browser tests to update the screenshots of the docs.
const UPDATE_SCREENSHOTS: &str = "HEMAFLOW_UPDATE_SCREENSHOTS";

/// Copies screenshots of `target/screenshots/` into `docs/screenshots/`, only when
/// `HEMAFLOW_UPDATE_SCREENSHOTS=1` asks for it.
fn publish(names: &[&str]) {
    if std::env::var(UPDATE_SCREENSHOTS).as_deref() != Ok("1") {
        eprintln!(
            "screenshots left in target/screenshots/; {UPDATE_SCREENSHOTS}=1 copies them to docs/screenshots/"
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for name in names {
        let from = root.join(format!("target/screenshots/{name}.png"));
        let to = root.join(format!("docs/screenshots/{name}.png"));
        std::fs::copy(from, to).expect("screenshot published");
    }
}

#[tokio::test]
async fn a_hospital_orders_distribution_allocates_picks_by_scan_and_ships_the_hospital_confirms_receipt()
 {
    if !browser_available() {
        return;
    }
    let folder = tempfile::tempdir().expect("folder");
    let url = format!("sqlite://{}", folder.path().join("supply.db").display());
    let ledger = hemaflow_service::open(&url).await.expect("ledger");
    demo::accounts(&ledger).await.expect("accounts");
    let (din, units) = demo::donation(
        &ledger,
        "Supply",
        (Abo::O, RhD::Negative),
        Stop::ReadyForRelease,
    )
    .await
    .expect("a donation");
    for unit in &units {
        demo::release(&ledger, unit).await.expect("released");
    }
    let red_cells = ledger
        .read(|state| {
            units
                .iter()
                .find(|u| {
                    state.components[*u].family
                        == hemaflow_domain::manufacturing::components::Family::RedCells
                })
                .cloned()
                .expect("red cells")
        })
        .await
        .expect("read");
    let product_code = red_cells[14..].to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = hemaflow_web::App::new(ledger, false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hemaflow_web::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let driver = Driver::start().await;

    // The hospital orders one O neg red cell unit, STAT.
    driver.sign_in_as(&base, "hospital", "Hal Hospital").await;
    driver.go(&format!("{base}/portal")).await;
    let form = "form[action='/portal/orders']";
    driver
        .click(&format!("{form} select[name=rhd] option[value=negative]"))
        .await;
    driver
        .click(&format!("{form} select[name=priority] option[value=stat]"))
        .await;
    driver.scroll_to_top().await;
    driver.screenshot("portal").await;
    driver.click(&format!("{form} button[type=submit]")).await;
    driver.wait_for_text("main", "due in").await;
    let order_url = driver.current_url().await;
    let order_id = order_url
        .rsplit('/')
        .next()
        .expect("an order id")
        .to_owned();
    assert!(order_id.starts_with("ORD-"), "{order_url}");
    assert!(driver.text("main").await.contains("STAT"));
    driver.screenshot("hospital-order").await;

    // Another hospital's user is not told the order exists.
    driver.sign_in_as(&base, "hospital2", "Luke Lucas").await;
    driver.go(&order_url).await;
    driver.wait_for_text("main", "Not on record").await;

    // Distribution: the order leads the list; the proposal is confirmed.
    driver
        .sign_in_as(&base, "shipper", "Dana Distribution")
        .await;
    driver.go(&format!("{base}/distribution")).await;
    driver.wait_for_text("main", &order_id).await;
    driver.screenshot("distribution").await;
    driver.go(&order_url).await;
    driver.wait_for_text("main", &red_cells).await;
    driver.screenshot("allocation-proposal").await;
    driver
        .click("form[action$='/allocate'] button[type=submit]")
        .await;
    driver.wait_for_text("main", "Pick by scan").await;

    // Picking by scan: the DIN, Enter, the product code, Enter. A wrong scan first.
    driver
        .type_into("#pick-din", &format!("=<{product_code}{ENTER}"))
        .await;
    driver
        .type_into("#pick-product", &format!("=<{product_code}{ENTER}"))
        .await;
    driver.wait_for_text("#pick-answer", "is not a DIN").await;
    driver
        .type_into("#pick-din", &format!("={din}00{ENTER}"))
        .await;
    assert_eq!(
        driver.active_element_id().await,
        driver.find("#pick-product").await,
        "Enter after the DIN moves to the product code"
    );
    driver
        .type_into("#pick-product", &format!("=<{product_code}{ENTER}"))
        .await;
    driver.wait_for_text("#pick-answer", "picked").await;
    let product_left = driver.find("#pick-product").await;
    let left = driver
        .call(
            "GET",
            &format!("/element/{product_left}/property/value"),
            Value::Null,
        )
        .await;
    assert_eq!(
        left,
        json!(""),
        "both scan fields are cleared for the next unit"
    );
    driver.screenshot("picking").await;

    // Pack and ship, then the documents.
    driver.go(&order_url).await;
    driver.type_into("#box", "BOX-17").await;
    driver
        .click("#temperature option[value=refrigerated]")
        .await;
    driver.type_into("#courier", "MedExpress").await;
    driver
        .click("form[action$='/ship'] button[type=submit]")
        .await;
    driver.wait_for_text("main", "MedExpress").await;
    assert!(driver.text("main").await.contains("Packing list (PDF)"));
    driver.screenshot("shipment").await;

    // The hospital scans the unit on receipt.
    driver.sign_in_as(&base, "hospital", "Hal Hospital").await;
    driver.go(&format!("{base}/portal")).await;
    driver.wait_for_text("main", "Shipments to confirm").await;
    driver.click("a[href^='/portal/shipments/']").await;
    driver.wait_for_text("main", "Scan each unit").await;
    driver.type_into("#din", &format!("={din}00{ENTER}")).await;
    driver
        .type_into("#product", &format!("=<{product_code}{ENTER}"))
        .await;
    driver.wait_for_text("#receipt", "1 of 1 received").await;
    driver.screenshot("receipt").await;
    driver.go(&order_url).await;
    driver.wait_for_text("main", "received").await;

    publish(&[
        "portal",
        "allocation-proposal",
        "picking",
        "shipment",
        "receipt",
    ]);
    driver.quit().await;
    let _ = stop.send(());
    let _ = server.await;
}

#[tokio::test]
async fn a_nurse_issues_a_unit_from_the_remote_fridge_by_scan_and_a_second_patient_is_stopped_at_the_bedside()
 {
    if !browser_available() {
        return;
    }
    let folder = tempfile::tempdir().expect("folder");
    let url = format!("sqlite://{}", folder.path().join("bedside.db").display());
    let ledger = hemaflow_service::open(&url).await.expect("ledger");
    demo::accounts(&ledger).await.expect("accounts");
    // A delivered, retyped O pos red cell unit; a patient with two concordant
    // determinations and a negative screen; a second patient.
    let (_, units) = demo::donation(
        &ledger,
        "Fridge",
        (Abo::O, RhD::Positive),
        Stop::ReadyForRelease,
    )
    .await
    .expect("a donation");
    for unit in &units {
        demo::release(&ledger, unit).await.expect("released");
    }
    let red_cells = ledger
        .read(|state| {
            units
                .iter()
                .find(|u| {
                    state.components[*u].family
                        == hemaflow_domain::manufacturing::components::Family::RedCells
                })
                .cloned()
                .expect("red cells")
        })
        .await
        .expect("read");
    let units = std::slice::from_ref(&red_cells);
    demo::deliver_to_transfusion_service(&ledger, "ORD-FRIDGE", units)
        .await
        .expect("delivered");
    demo::retype(&ledger, &red_cells).await.expect("retyped");
    let band = demo::eligible_patient(&ledger, "1001", "Okonjo", "S-1", (Abo::A, RhD::Positive))
        .await
        .expect("a patient");
    let other = demo::eligible_patient(&ledger, "2002", "Brennan", "S-2", (Abo::O, RhD::Positive))
        .await
        .expect("a second patient");
    let (din, code) = red_cells.split_once('-').expect("DIN-productcode");
    let (din, code) = (din.to_owned(), code.to_owned());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = hemaflow_web::App::new(ledger, false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hemaflow_web::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let driver = Driver::start().await;
    driver.sign_in(&base, "nurse", "Nell Nurse").await;

    // At the fridge (its tablet's page names it): the wristband, the DIN, the product code,
    // each a scan ending in Enter; the last one issues.
    let started = Instant::now();
    driver
        .go(&format!("{base}/bedside/remote?fridge=OR%20fridge%202"))
        .await;
    assert_eq!(
        driver.active_element_id().await,
        driver.find("#remote-band").await,
        "the wristband field has the focus"
    );
    let scans = [
        ("#remote-band", band.clone()),
        ("#remote-din", format!("={din}00")),
        ("#remote-product", format!("=<{code}")),
    ];
    for (field, scan) in &scans {
        driver.type_into(field, &format!("{scan}{ENTER}")).await;
    }
    driver.wait_for_text("#remote-answer", "issued to").await;
    let elapsed = started.elapsed();
    let answer = driver.text("#remote-answer").await;
    assert!(answer.contains("Okonjo, Sam"), "{answer}");
    assert!(answer.contains("OR fridge 2"), "{answer}");
    eprintln!(
        "remote electronic issue: {} scans, {} ms",
        scans.len(),
        elapsed.as_millis()
    );
    driver.screenshot("remote-issue").await;

    // At the bedside the second patient's wristband is refused: STOP, next to the field.
    driver.go(&format!("{base}/bedside")).await;
    for (field, value) in [
        ("#start-temp", "36.8"),
        ("#start-pulse", "78"),
        ("#start-sys", "124"),
        ("#start-dia", "78"),
    ] {
        driver.type_into(field, value).await;
    }
    driver
        .type_into("#start-band", &format!("{other}{ENTER}"))
        .await;
    driver
        .type_into("#start-din", &format!("={din}00{ENTER}"))
        .await;
    driver
        .type_into("#start-product", &format!("=<{code}{ENTER}"))
        .await;
    driver.type_into("#start-dia", ENTER).await;
    driver.wait_for_text("#start-answer", "STOP").await;
    let refusal = driver.text("#start-answer").await;
    assert!(refusal.contains("TX-WRONG-PATIENT"), "{refusal}");
    driver.screenshot("bedside-wrong-patient").await;

    // The nurse's and the technologist's benches fit a desktop and a tablet held upright.
    for (user, name, path, shot) in [
        ("nurse", "Nell Nurse", "/bedside", "bedside"),
        ("nurse", "Nell Nurse", "/bedside/remote", "bedside-remote"),
        (
            "bloodbank",
            "Tess Transfusion",
            "/transfusion",
            "transfusion",
        ),
        (
            "bloodbank",
            "Tess Transfusion",
            "/transfusion/patients/mercy/01/1001",
            "transfusion-patient",
        ),
    ] {
        driver.resize(1280, 800).await;
        driver.sign_in_as(&base, user, name).await;
        for (width, height, size) in [(1280, 800, "desktop"), (768, 1024, "tablet")] {
            driver.resize(width, height).await;
            driver.go(&format!("{base}{path}")).await;
            driver.wait_for_text("header", name).await;
            driver.assert_fits(&format!("{path} at {size}")).await;
            driver.screenshot(&format!("{shot}-{size}")).await;
        }
    }
    let patient = driver.text("main").await;
    assert!(patient.contains("issued at"), "{patient}");
    assert!(patient.contains("remote fridge OR fridge 2"), "{patient}");

    driver.quit().await;
    let _ = stop.send(());
    let _ = server.await;
}
