//! A small accounts domain: open, deposit, withdraw, transfer. Enough rules to refuse, more
//! than one event per command, and projection rows with a status.

use std::collections::BTreeMap;
use std::fmt;

use hemaflow_ledger::{EntryMeta, Model, Row, RowKey};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    Open {
        account: String,
        owner: String,
    },
    Deposit {
        account: String,
        amount: i64,
    },
    Withdraw {
        account: String,
        amount: i64,
    },
    Transfer {
        from: String,
        to: String,
        amount: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    Opened { account: String, owner: String },
    Deposited { account: String, amount: i64 },
    Withdrawn { account: String, amount: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.rule)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub owner: String,
    pub balance: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub accounts: BTreeMap<String, Account>,
}

#[derive(Debug, Clone)]
pub struct Context {
    pub actor: String,
    pub role: String,
    pub now: jiff::Timestamp,
}

impl Context {
    pub fn new(actor: &str) -> Context {
        Context {
            actor: actor.to_owned(),
            role: "teller".to_owned(),
            now: jiff::Timestamp::from_second(1_795_000_000).expect("a valid time"),
        }
    }
}

pub struct Accounts;

fn refuse<T>(rule: &'static str, message: String) -> Result<T, Refusal> {
    Err(Refusal { rule, message })
}

fn existing<'a>(state: &'a State, account: &str) -> Result<&'a Account, Refusal> {
    match state.accounts.get(account) {
        Some(a) => Ok(a),
        None => refuse("ACC-UNKNOWN", format!("account {account} does not exist")),
    }
}

fn positive(amount: i64) -> Result<(), Refusal> {
    if amount > 0 {
        Ok(())
    } else {
        refuse("ACC-AMOUNT", format!("amount {amount} is not positive"))
    }
}

fn funded(state: &State, account: &str, amount: i64) -> Result<(), Refusal> {
    let balance = existing(state, account)?.balance;
    if balance >= amount {
        Ok(())
    } else {
        refuse(
            "ACC-FUNDS",
            format!("account {account} holds {balance}, not {amount}"),
        )
    }
}

impl Model for Accounts {
    type State = State;
    type Command = Command;
    type Event = Event;
    type Refusal = Refusal;
    type Context = Context;

    fn decide(state: &State, command: &Command, _: &Context) -> Result<Vec<Event>, Refusal> {
        match command {
            Command::Open { account, owner } => {
                if state.accounts.contains_key(account) {
                    return refuse("ACC-EXISTS", format!("account {account} already exists"));
                }
                Ok(vec![Event::Opened {
                    account: account.clone(),
                    owner: owner.clone(),
                }])
            }
            Command::Deposit { account, amount } => {
                positive(*amount)?;
                existing(state, account)?;
                Ok(vec![Event::Deposited {
                    account: account.clone(),
                    amount: *amount,
                }])
            }
            Command::Withdraw { account, amount } => {
                positive(*amount)?;
                funded(state, account, *amount)?;
                Ok(vec![Event::Withdrawn {
                    account: account.clone(),
                    amount: *amount,
                }])
            }
            Command::Transfer { from, to, amount } => {
                positive(*amount)?;
                existing(state, to)?;
                funded(state, from, *amount)?;
                Ok(vec![
                    Event::Withdrawn {
                        account: from.clone(),
                        amount: *amount,
                    },
                    Event::Deposited {
                        account: to.clone(),
                        amount: *amount,
                    },
                ])
            }
        }
    }

    fn evolve(state: &mut State, event: &Event) {
        match event {
            Event::Opened { account, owner } => {
                state.accounts.insert(
                    account.clone(),
                    Account {
                        owner: owner.clone(),
                        balance: 0,
                    },
                );
            }
            Event::Deposited { account, amount } => {
                if let Some(a) = state.accounts.get_mut(account) {
                    a.balance += amount;
                }
            }
            Event::Withdrawn { account, amount } => {
                if let Some(a) = state.accounts.get_mut(account) {
                    a.balance -= amount;
                }
            }
        }
    }

    fn event_name(event: &Event) -> &'static str {
        match event {
            Event::Opened { .. } => "Opened",
            Event::Deposited { .. } => "Deposited",
            Event::Withdrawn { .. } => "Withdrawn",
        }
    }

    fn refusal_rule(refusal: &Refusal) -> &str {
        refusal.rule
    }

    fn entry_meta(context: &Context) -> EntryMeta {
        EntryMeta {
            actor: context.actor.clone(),
            role: context.role.clone(),
            recorded_at: context.now,
        }
    }

    fn rows_touched(_state: &State, event: &Event) -> Vec<RowKey> {
        let account = match event {
            Event::Opened { account, .. }
            | Event::Deposited { account, .. }
            | Event::Withdrawn { account, .. } => account,
        };
        vec![("account", account.clone())]
    }

    fn row(state: &State, (kind, id): &RowKey) -> Option<Row> {
        (*kind == "account")
            .then(|| state.accounts.get(id))
            .flatten()
            .map(|a| account_row(id, a))
    }

    fn all_row_keys(state: &State) -> Vec<RowKey> {
        state
            .accounts
            .keys()
            .map(|id| ("account", id.clone()))
            .collect()
    }
}

fn account_row(id: &str, account: &Account) -> Row {
    Row {
        kind: "account".to_owned(),
        id: id.to_owned(),
        status: Some(
            if account.balance > 0 {
                "funded"
            } else {
                "empty"
            }
            .to_owned(),
        ),
        body: serde_json::json!({"owner": account.owner, "balance": account.balance}).into(),
    }
}

/// A deterministic pseudo-random command stream (xorshift), with refusals among them.
pub fn random_commands(seed: u64, count: usize) -> Vec<(String, Command, Context)> {
    let mut x = seed.max(1);
    let mut next = move |bound: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % bound
    };
    let accounts = |n: u64| format!("acct-{n}");
    (0..count)
        .map(|i| {
            let command = match next(10) {
                0 | 1 => Command::Open {
                    account: accounts(next(12)),
                    owner: format!("owner {}", next(5)),
                },
                2..=5 => Command::Deposit {
                    account: accounts(next(12)),
                    amount: next(100) as i64,
                },
                6 | 7 => Command::Withdraw {
                    account: accounts(next(12)),
                    amount: next(150) as i64 + 1,
                },
                _ => Command::Transfer {
                    from: accounts(next(12)),
                    to: accounts(next(12)),
                    amount: next(80) as i64 + 1,
                },
            };
            (
                format!("cmd-{seed}-{i}"),
                command,
                Context::new(&format!("teller{}", i % 3)),
            )
        })
        .collect()
}
