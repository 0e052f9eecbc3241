//! Distribution's commands and events.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::distribution::orders::{
    AllocatedUnit, Cancellation, Order, OrderLine, Priority, StandingOrder,
};
use crate::distribution::shipping::{Dispatch, ReturnReview, Shipment, UnitReturn};
use crate::distribution::sites::{
    Celsius, Contact, Hospital, Site, SiteKind, Storage, StorageKind, TemperatureRange, Transfer,
};
use crate::kernel::Role;

/// One unit chosen for one line of an order (`AllocateOrder`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineUnit {
    /// Index of the order line (from 0).
    pub line: u32,
    pub component: String,
}

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DistributionCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Ships one unit to a consignee outside the order workflow (kept for scripts and the
    /// older workload); hospital orders ship with `ShipShipment`.
    ShipComponent {
        component: String,
        consignee: String,
    },
    /// One of our sites (admin).
    RegisterSite {
        site_id: String,
        name: String,
        kind: SiteKind,
        address: String,
    },
    /// A refrigerator, freezer, platelet agitator or room-temperature store at a site (admin).
    RegisterStorage {
        storage_id: String,
        site_id: String,
        kind: StorageKind,
        min_c: Celsius,
        max_c: Celsius,
    },
    /// DIST-STORAGE: a unit put away by scan.
    StoreComponent { component: String, storage: String },
    /// DIST-TRANSFER: units scanned out of `from` towards `to`.
    DispatchTransfer {
        transfer_id: String,
        from: String,
        to: String,
        components: Vec<String>,
    },
    /// DIST-TRANSFER: one unit scanned in at the transfer's destination.
    ReceiveTransfer {
        transfer_id: String,
        component: String,
    },
    /// A hospital we supply (admin).
    RegisterHospital {
        hospital_id: String,
        name: String,
        address: String,
        #[serde(default)]
        contacts: Vec<Contact>,
    },
    /// ORDER-CLOCK: an order of a hospital (its own user, or distribution for it).
    PlaceOrder {
        order_id: String,
        hospital: String,
        lines: Vec<OrderLine>,
        priority: Priority,
        #[serde(default, with = "time::serde::rfc3339::option")]
        needed_by: Option<OffsetDateTime>,
    },
    /// An order placed again every week on `weekday` by `RenewStandingOrders`.
    PlaceStandingOrder {
        standing_order_id: String,
        hospital: String,
        lines: Vec<OrderLine>,
        priority: Priority,
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Weekday))]
        weekday: time::Weekday,
    },
    /// Places the coming order of every standing order not yet placed (a scheduler sends it).
    RenewStandingOrders {
        #[serde(with = "time::serde::rfc3339")]
        as_of: OffsetDateTime,
    },
    /// Cancels an order not yet shipped, or a standing order.
    CancelOrder { order_id: String, reason: String },
    /// ALLOC-FEFO, ALLOC-SUBST: the units chosen for an order (the proposal or a changed one).
    AllocateOrder {
        order_id: String,
        units: Vec<LineUnit>,
    },
    /// DIST-PICK: a unit scanned into a shipment of its order.
    PickUnit {
        shipment_id: String,
        order_id: String,
        component: String,
    },
    /// DIST-SHIP: the shipment closed and sent.
    ShipShipment {
        shipment_id: String,
        box_id: String,
        temperature_range: TemperatureRange,
        courier: String,
    },
    /// DIST-RECEIPT: the hospital scans one unit of a shipment in.
    ConfirmReceipt {
        shipment_id: String,
        component: String,
    },
    /// DIST-RETURN: a unit sent back by a hospital.
    ReturnUnit {
        component: String,
        minutes_out_of_storage: u32,
        reason: String,
        #[serde(default = "yes")]
        seal_intact: bool,
        #[serde(default)]
        validated_container: bool,
    },
    /// DIST-RETURN: QA accepts a returned unit back into stock, or rejects it (discarded).
    ReviewReturn {
        component: String,
        accept: bool,
        reason: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "ship_component",
        "register_site",
        "register_storage",
        "store_component",
        "dispatch_transfer",
        "receive_transfer",
        "register_hospital",
        "place_order",
        "place_standing_order",
        "renew_standing_orders",
        "cancel_order",
        "allocate_order",
        "pick_unit",
        "ship_shipment",
        "confirm_receipt",
        "return_unit",
        "review_return",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::ShipComponent { .. } => &[Distribution],
            Command::RegisterSite { .. }
            | Command::RegisterStorage { .. }
            | Command::RegisterHospital { .. } => &[Admin],
            Command::StoreComponent { .. } => &[Manufacturing, Distribution],
            Command::DispatchTransfer { .. } | Command::ReceiveTransfer { .. } => &[Distribution],
            // A hospital user only for its own hospital (checked with the order).
            Command::PlaceOrder { .. }
            | Command::PlaceStandingOrder { .. }
            | Command::CancelOrder { .. } => &[HospitalUser, Distribution],
            Command::RenewStandingOrders { .. } => &[Distribution, Admin],
            Command::AllocateOrder { .. }
            | Command::PickUnit { .. }
            | Command::ShipShipment { .. } => &[Distribution],
            // The hospital's transfusion service receives and returns units too.
            Command::ConfirmReceipt { .. } => &[HospitalUser, TransfusionTechnologist],
            Command::ReturnUnit { .. } => &[HospitalUser, TransfusionTechnologist, Distribution],
            Command::ReviewReturn { .. } => &[QualityAssurance],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            // A returned unit goes back to stock or is discarded: either is QA's signed
            // decision, as every release and every discard is.
            Command::ReviewReturn { accept: true, .. } => Some("returned to stock by"),
            Command::ReviewReturn { accept: false, .. } => Some("discarded by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::ShipComponent { .. } => "ship a component",
            Command::RegisterSite { .. } => "register a site",
            Command::RegisterStorage { .. } => "register a storage",
            Command::StoreComponent { .. } => "put a unit away",
            Command::DispatchTransfer { .. } => "dispatch a transfer",
            Command::ReceiveTransfer { .. } => "receive a transfer",
            Command::RegisterHospital { .. } => "register a hospital",
            Command::PlaceOrder { .. } => "place an order",
            Command::PlaceStandingOrder { .. } => "place a standing order",
            Command::RenewStandingOrders { .. } => "renew standing orders",
            Command::CancelOrder { .. } => "cancel an order",
            Command::AllocateOrder { .. } => "allocate an order",
            Command::PickUnit { .. } => "pick a unit",
            Command::ShipShipment { .. } => "ship a shipment",
            Command::ConfirmReceipt { .. } => "confirm receipt of a unit",
            Command::ReturnUnit { .. } => "return a unit",
            Command::ReviewReturn { .. } => "review a returned unit",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DistributionEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    ComponentShipped {
        id: String,
        consignee: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
        /// The shipment it left in (none for `ShipComponent`).
        #[serde(default)]
        shipment: Option<String>,
    },
    SiteRegistered {
        site: Site,
    },
    StorageRegistered {
        storage: Storage,
    },
    ComponentStored {
        id: String,
        site: String,
        storage: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    TransferDispatched {
        transfer: Transfer,
    },
    TransferReceived {
        transfer_id: String,
        id: String,
        site: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    HospitalRegistered {
        hospital: Hospital,
    },
    OrderPlaced {
        order: Box<Order>,
    },
    StandingOrderPlaced {
        standing_order: StandingOrder,
    },
    OrderCancelled {
        order_id: String,
        cancellation: Cancellation,
    },
    StandingOrderCancelled {
        standing_order_id: String,
        cancellation: Cancellation,
    },
    OrderAllocated {
        order_id: String,
        units: Vec<AllocatedUnit>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    /// An allocated unit can no longer fill its order (discarded, expired, quarantined, unsafe,
    /// processed): it leaves the order and any open shipment; the line is short again.
    AllocationWithdrawn {
        order_id: String,
        id: String,
        reason: String,
    },
    ShipmentOpened {
        shipment: Shipment,
    },
    UnitPicked {
        shipment_id: String,
        order_id: String,
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ShipmentShipped {
        shipment_id: String,
        dispatch: Dispatch,
    },
    ReceiptConfirmed {
        shipment_id: String,
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UnitReturned {
        unit_return: UnitReturn,
    },
    ReturnReviewed {
        id: String,
        review: ReturnReview,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "component_shipped",
        "site_registered",
        "storage_registered",
        "component_stored",
        "transfer_dispatched",
        "transfer_received",
        "hospital_registered",
        "order_placed",
        "standing_order_placed",
        "order_cancelled",
        "standing_order_cancelled",
        "order_allocated",
        "allocation_withdrawn",
        "shipment_opened",
        "unit_picked",
        "shipment_shipped",
        "receipt_confirmed",
        "unit_returned",
        "return_reviewed",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::ComponentShipped { .. } => "component_shipped",
            Event::SiteRegistered { .. } => "site_registered",
            Event::StorageRegistered { .. } => "storage_registered",
            Event::ComponentStored { .. } => "component_stored",
            Event::TransferDispatched { .. } => "transfer_dispatched",
            Event::TransferReceived { .. } => "transfer_received",
            Event::HospitalRegistered { .. } => "hospital_registered",
            Event::OrderPlaced { .. } => "order_placed",
            Event::StandingOrderPlaced { .. } => "standing_order_placed",
            Event::OrderCancelled { .. } => "order_cancelled",
            Event::StandingOrderCancelled { .. } => "standing_order_cancelled",
            Event::OrderAllocated { .. } => "order_allocated",
            Event::AllocationWithdrawn { .. } => "allocation_withdrawn",
            Event::ShipmentOpened { .. } => "shipment_opened",
            Event::UnitPicked { .. } => "unit_picked",
            Event::ShipmentShipped { .. } => "shipment_shipped",
            Event::ReceiptConfirmed { .. } => "receipt_confirmed",
            Event::UnitReturned { .. } => "unit_returned",
            Event::ReturnReviewed { .. } => "return_reviewed",
        }
    }
}

fn yes() -> bool {
    true
}
