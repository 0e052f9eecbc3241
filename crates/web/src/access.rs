//! P11-ACCESS for pages and queries: which roles may open each bench. Commands are checked
//! again by the domain (`roles::allowed_roles`); these lists only decide what a role may see.
//! One list per bench, in one place, so that the route x role matrix test reads them.

use hemaflow_domain::Role;
use hemaflow_domain::Role::*;

/// Every signed-in role: the home page and its unit look-up (a hospital user sees only the
/// units shipped to their hospital).
pub const ANY: &[Role] = &Role::ALL;
/// Staff of the establishment: unit look-up and history.
pub const STAFF: &[Role] = &[
    CollectionStaff,
    LabTechnologist,
    Manufacturing,
    QualityAssurance,
    Distribution,
    Admin,
];
pub const DONORS: &[Role] = &[CollectionStaff, QualityAssurance];
pub const COLLECTION: &[Role] = &[CollectionStaff];
pub const TESTING: &[Role] = &[LabTechnologist];
pub const PRODUCTION: &[Role] = &[Manufacturing];
pub const LABELS: &[Role] = &[Manufacturing, QualityAssurance];
pub const RELEASE: &[Role] = &[Manufacturing, QualityAssurance];
pub const QUALITY: &[Role] = &[QualityAssurance];
/// Corrections (CORR-ENTRY): the screener corrects screenings, the technologist results; QA
/// reads every correction.
pub const CORRECTIONS: &[Role] = &[CollectionStaff, LabTechnologist, QualityAssurance];
pub const INVENTORY: &[Role] = &[Manufacturing, QualityAssurance, Distribution, Admin];
pub const ADMIN: &[Role] = &[Admin];
/// The hospital portal: a hospital user, for its own hospital only.
pub const PORTAL: &[Role] = &[HospitalUser];
/// Distribution: allocation, picking, shipping, transfers.
pub const DISTRIBUTION: &[Role] = &[Distribution];
/// An order or shipment page: its hospital's users (scoped to their hospital) and the
/// establishment's distribution, quality and admin.
pub const ORDERS: &[Role] = &[HospitalUser, Distribution, QualityAssurance, Admin];
/// Who may cancel an order (its hospital, or distribution for it).
pub const ORDER_WRITERS: &[Role] = &[HospitalUser, Distribution];
/// DIST-RETURN review: quality assurance.
pub const RETURNS_REVIEW: &[Role] = &[QualityAssurance];
/// Returned units waiting for review, as a list.
pub const RETURNS_VIEW: &[Role] = &[QualityAssurance, Distribution];
/// Daily reports (collections, production, shipments, discards): the establishment's
/// management and distribution; never a hospital.
pub const REPORTS: &[Role] = &[Manufacturing, QualityAssurance, Distribution, Admin];

/// The transfusion service's bench: a transfusion technologist, for its own hospital only.
pub const TRANSFUSION: &[Role] = &[TransfusionTechnologist];
/// The bedside and the remote blood fridge: a nurse, for its own hospital only.
pub const BEDSIDE: &[Role] = &[Nurse];

/// Where a role lands when it signs in: its own work, not a look-up it seldom needs (the
/// hospital's orders, the nurse's bedside, the shipper's orders by urgency, QA's release queue);
/// the maker starts by scanning a bag into the look-up.
pub fn home_of(role: Role) -> &'static str {
    match role {
        CollectionStaff => "/donors",
        LabTechnologist => "/testing",
        Manufacturing => "/",
        QualityAssurance => "/release",
        Distribution => "/distribution",
        Admin => "/admin/users",
        HospitalUser => "/portal",
        TransfusionTechnologist => "/transfusion",
        Nurse => "/bedside",
    }
}

/// The benches a role sees in the navigation: (path, label, roles).
pub const BENCHES: &[(&str, &str, &[Role])] = &[
    ("/", "Unit look-up", ANY),
    ("/donors", "Donors", DONORS),
    ("/collection", "Screening and collection", COLLECTION),
    ("/testing", "Test results", TESTING),
    ("/production", "Production", PRODUCTION),
    ("/labels", "Labels", LABELS),
    ("/release", "Release queue", RELEASE),
    ("/quality", "Holds and discrepancies", QUALITY),
    ("/quality/lookbacks", "Lookback and recall", QUALITY),
    ("/corrections", "Corrections", CORRECTIONS),
    ("/inventory", "Inventory", INVENTORY),
    ("/portal", "Orders", PORTAL),
    ("/transfusion", "Transfusion service", TRANSFUSION),
    ("/bedside", "Bedside", BEDSIDE),
    ("/bedside/remote", "Remote fridge issue", BEDSIDE),
    ("/distribution", "Distribution", DISTRIBUTION),
    ("/returns", "Returns review", RETURNS_REVIEW),
    ("/reports", "Reports", REPORTS),
    ("/admin/users", "Users", ADMIN),
];

/// Middleware state: the roles a route admits.
pub type Admits = (crate::App, &'static [Role]);

/// P11-ACCESS before anything else: a route's roles are checked before its body is read, so
/// that a caller in the wrong role is told so (403) whatever they sent.
pub async fn admit(
    axum::extract::State((app, roles)): axum::extract::State<Admits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    let caller = match crate::auth::Caller::from_request_parts(&mut parts, &app).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    if let Err(problem) = caller.require(roles) {
        return problem.into_response();
    }
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}
