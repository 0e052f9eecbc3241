//! The lookback table: which agents a reactive result starts a lookback for, the regulation
//! that requires it, the markers of each agent and the supplemental test the lab orders. A
//! section of the site's [`Config`](crate::config::Config); the rule book's two (HIV, HCV)
//! by default, and a site adds the agents its SOPs look back on (HBV, HTLV) as data.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRule {
    pub agent: String,
    pub regulation: String,
    /// The panel's marker codes for the agent (antibody and NAT).
    pub markers: Vec<String>,
    /// The supplemental (further) test ordered after a reactive screen.
    pub supplemental_test: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookbackRules {
    pub agents: Vec<AgentRule>,
}

impl LookbackRules {
    /// The rule of an agent, by name as the table spells it (case-insensitive).
    pub fn agent(&self, agent: &str) -> Option<&AgentRule> {
        self.agents
            .iter()
            .find(|a| a.agent.eq_ignore_ascii_case(agent.trim()))
    }

    /// The rule whose markers include `marker`.
    pub fn for_marker(&self, marker: &str) -> Option<&AgentRule> {
        self.agents
            .iter()
            .find(|a| a.markers.iter().any(|m| m == marker))
    }

    /// Whether these are the US defaults (the configuration leaves them out then, so that a
    /// configuration recorded before the table existed reads and writes the same).
    pub fn is_default(&self) -> bool {
        *self == LookbackRules::default()
    }
}

impl Default for LookbackRules {
    /// LB-WINDOW: 21 CFR 610.46 (HIV) and 610.47 (HCV).
    fn default() -> LookbackRules {
        let agent = |agent: &str, regulation: &str, markers: &[&str], test: &str| AgentRule {
            agent: agent.to_owned(),
            regulation: regulation.to_owned(),
            markers: markers.iter().map(|m| (*m).to_owned()).collect(),
            supplemental_test: test.to_owned(),
        };
        LookbackRules {
            agents: vec![
                agent(
                    "HIV",
                    "21 CFR 610.46",
                    &["anti_hiv_1_2", "hiv_nat"],
                    "HIV-1/HIV-2 antibody differentiation immunoassay, with HIV-1 NAT",
                ),
                agent(
                    "HCV",
                    "21 CFR 610.47",
                    &["anti_hcv", "hcv_nat"],
                    "HCV RNA NAT (individual) or a licensed supplemental anti-HCV test",
                ),
            ],
        }
    }
}
