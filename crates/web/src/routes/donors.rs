//! Donor search and registration. Before a new record is made the desk sees every registered
//! donor the identity matches and the deferrals each has in force (ELIG-DEFERRED), and must
//! confirm to register anyway.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::donor_centre::donor::{Identity, Sex};
use hemaflow_domain::{AccessEvent, ClientCommand, DonorCentreCommand, DonorCentreEvent};
use hemaflow_domain::{Command, Event, queries};
use serde::Deserialize;

use super::{Signature, command_id, execute, execute_signed};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::views::Page;

/// An ISO 8601 date (`1990-01-31`), or none.
pub fn parse_date(input: Option<&str>) -> Result<Option<time::Date>, Problem> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(Some)
        .map_err(|_| Problem::input(format!("date of birth {text:?} must be YYYY-MM-DD")))
}

pub struct DonorLine {
    pub id: String,
    pub name: String,
    pub born: String,
    pub deferrals: Vec<String>,
    /// (deferral ID, description) of the deferrals in force, for their removal.
    pub removable: Vec<(String, String)>,
}

fn donor_line(
    records: &hemaflow_domain::State,
    donor: &hemaflow_domain::donor_centre::donor::Donor,
    day: time::Date,
) -> DonorLine {
    DonorLine {
        id: donor.id.clone(),
        name: format!(
            "{}, {}",
            donor.identity.family_name, donor.identity.given_name
        ),
        born: donor.identity.date_of_birth.to_string(),
        deferrals: queries::current_deferrals(records, &donor.id, day)
            .into_iter()
            .map(|d| match d.ends {
                Some(ends) => format!("{} (until {ends})", d.description),
                None => format!("{} ({})", d.description, d.kind.describe()),
            })
            .collect(),
        removable: queries::current_deferrals(records, &donor.id, day)
            .into_iter()
            .map(|d| (d.id.clone(), d.description.clone()))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "donors.html")]
struct DonorsPage {
    page: Page,
    query: String,
    results: Option<Vec<DonorLine>>,
    matches: Vec<DonorLine>,
    form: RegisterForm,
    registered: Option<String>,
    command_id: String,
    can_requalify: bool,
    /// The ledger entry the search results reflect: the `seen` of a deferral removal.
    seen: i64,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    date_of_birth: Option<String>,
}

pub async fn page(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, Problem> {
    caller.require(access::DONORS)?;
    let born = parse_date(query.date_of_birth.as_deref())?;
    let name = query.name.trim().to_owned();
    let today = app.now().date();
    let (results, seen) = if name.len() >= 2 {
        let (found, seen) = app
            .ledger
            .read_at(|records| {
                queries::search_donors(records, &name, born)
                    .into_iter()
                    .map(|d| donor_line(records, d, today))
                    .collect()
            })
            .await?;
        (Some(found), seen)
    } else {
        (None, 0)
    };
    let page = DonorsPage {
        seen,
        ..donors_page(
            &caller,
            name,
            results,
            Vec::new(),
            RegisterForm::default(),
            None,
        )
    };
    Ok(Html(page.render()?).into_response())
}

fn render(
    caller: &Caller,
    query: String,
    results: Option<Vec<DonorLine>>,
    matches: Vec<DonorLine>,
    form: RegisterForm,
    registered: Option<String>,
) -> Result<Response, Problem> {
    let page = donors_page(caller, query, results, matches, form, registered);
    Ok(Html(page.render()?).into_response())
}

fn donors_page(
    caller: &Caller,
    query: String,
    results: Option<Vec<DonorLine>>,
    matches: Vec<DonorLine>,
    form: RegisterForm,
    registered: Option<String>,
) -> DonorsPage {
    DonorsPage {
        page: Page::of(caller, "/donors"),
        query,
        results,
        matches,
        command_id: form.command_id.clone().unwrap_or_else(token::generate),
        form,
        registered,
        can_requalify: caller.user.role == hemaflow_domain::Role::QualityAssurance,
        seen: 0,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct RegisterForm {
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub confirmed: Option<String>,
    #[serde(default)]
    pub command_id: Option<String>,
}

fn identity(form: &RegisterForm) -> Result<Identity, Problem> {
    let date_of_birth = parse_date(Some(&form.date_of_birth))?
        .ok_or_else(|| Problem::input("the date of birth is required"))?;
    let sex = match form.sex.as_str() {
        "female" => Sex::Female,
        "male" => Sex::Male,
        _ => return Err(Problem::input("choose the donor's sex (female or male)")),
    };
    Ok(Identity {
        family_name: form.family_name.trim().to_owned(),
        given_name: form.given_name.trim().to_owned(),
        date_of_birth,
        sex,
        national_id: Some(form.national_id.trim().to_owned()).filter(|s| !s.is_empty()),
        contact: None,
        parental_consent: false,
    })
}

pub async fn register(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<RegisterForm>,
) -> Result<Response, Problem> {
    caller.require(access::DONORS)?;
    let identity = identity(&form)?;
    let today = app.now().date();
    let matches: Vec<DonorLine> = app
        .ledger
        .read(|records| {
            queries::deferral_lookup(records, &identity, today)
                .into_iter()
                .map(|(d, _)| donor_line(records, d, today))
                .collect()
        })
        .await?;
    if !matches.is_empty() && form.confirmed.is_none() {
        return render(&caller, String::new(), None, matches, form, None);
    }
    let id = command_id(form.command_id.as_deref())?;
    let events = execute(
        &app,
        &caller,
        &id,
        &Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::RegisterDonor { identity },
        )),
    )
    .await?;
    let registered = events.iter().find_map(|e| match e {
        Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => Some(donor.id.clone()),
        _ => None,
    });
    render(
        &caller,
        String::new(),
        None,
        Vec::new(),
        RegisterForm::default(),
        registered,
    )
}

#[derive(Deserialize)]
pub struct RequalifyForm {
    deferral_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    password: String,
    /// The signer's user ID: asked at the first signature of a session (P11-SIGN).
    #[serde(default)]
    signature_user_id: Option<String>,
    command_id: Option<String>,
    /// The ledger entry the page showed (no lost updates).
    #[serde(default)]
    seen: Option<i64>,
}

/// DEF-* + P11-SIGN: a deferral removed (the donor requalified) by quality assurance, signed
/// "deferral removed by".
pub async fn requalify(
    caller: Caller,
    State(app): State<App>,
    Form(form): Form<RequalifyForm>,
) -> Result<Response, Problem> {
    caller.require(access::DONORS)?;
    let id = command_id(form.command_id.as_deref())?;
    let command = ClientCommand::DonorCentre(DonorCentreCommand::RequalifyDonor {
        deferral_id: form.deferral_id.trim().to_owned(),
        reason: form.reason.trim().to_owned(),
    });
    let seen = [super::seen(
        "deferral",
        form.deferral_id.trim(),
        super::required_seen(form.seen)?,
    )];
    let events = execute_signed(
        &app,
        &caller,
        &id,
        Signature::new(form.signature_user_id.as_deref(), &form.password),
        command,
        &seen,
    )
    .await?;
    let signature = events.iter().find_map(|e| match e {
        Event::Access(AccessEvent::Signed { signature }) => Some(signature),
        _ => None,
    });
    let Some(signature) = signature else {
        return Err(Problem::internal(
            "a signed command was recorded without its signature",
        ));
    };
    Ok(Html(format!(
        "<p class=\"accepted\" role=\"status\">Deferral {} removed: {} {}, {}.</p>",
        form.deferral_id.trim(),
        signature.meaning,
        signature.printed_name,
        super::units::time_text(signature.signed_at)
    ))
    .into_response())
}
