//! What every page shares: the layout's values (who is signed in, the CSRF token, the benches
//! of the caller's role) and the refusal shown for a problem.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::access::BENCHES;
use crate::auth::Caller;
use crate::problem::Problem;

/// The layout's values.
pub struct Page {
    pub csrf: String,
    pub user: Option<UserLine>,
    pub nav: Vec<(&'static str, &'static str)>,
    pub path: String,
    /// Whether a signature given on this page is the session's first, which takes the user
    /// ID as well as the password (P11-SIGN, 21 CFR 11.200(a)(1)(i)).
    pub first_signature: bool,
}

pub struct UserLine {
    pub name: String,
    pub role: &'static str,
}

impl Page {
    pub fn of(caller: &Caller, path: &str) -> Page {
        Page {
            csrf: caller.csrf.clone(),
            user: Some(UserLine {
                name: caller.user.name.clone(),
                role: caller.user.role.as_str(),
            }),
            nav: BENCHES
                .iter()
                .filter(|(_, _, roles)| roles.contains(&caller.user.role))
                .map(|(href, label, _)| (*href, *label))
                .collect(),
            path: path.to_owned(),
            first_signature: caller.session.is_some() && !caller.signed_before,
        }
    }

    pub fn anonymous(csrf: &str) -> Page {
        Page {
            csrf: csrf.to_owned(),
            user: None,
            nav: Vec::new(),
            path: String::new(),
            first_signature: false,
        }
    }

    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.name.as_str())
    }

    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    page: Page,
    problem: &'a Problem,
}

#[derive(Template)]
#[template(path = "refusal.html")]
struct RefusalFragment<'a> {
    problem: &'a Problem,
}

pub fn problem_page(problem: &Problem) -> String {
    ProblemPage {
        page: Page::anonymous(""),
        problem,
    }
    .render()
    .unwrap_or_else(|_| problem.detail.clone())
}

pub fn refusal_fragment(problem: &Problem) -> String {
    RefusalFragment { problem }
        .render()
        .unwrap_or_else(|_| problem.detail.clone())
}

/// Text made safe to put into HTML built by hand (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The fragment htmx shows under a form that was accepted: `message`, escaped.
pub fn accepted(message: impl AsRef<str>) -> Response {
    Html(format!(
        "<p class=\"accepted\" role=\"status\">{}</p>",
        escape(message.as_ref())
    ))
    .into_response()
}
