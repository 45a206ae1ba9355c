//! Return-URL registration (partners) and approval (operators).

use super::{Hub, ServiceError, ServiceResult};
use chrono::Utc;
use idgate_core::{
    Partner, ReturnUrlPolicy, ReturnUrlRule, ReturnUrlRuleId, ReturnUrlStatus, return_url,
};
use idgate_store::ReturnUrlFilter;

impl Hub {
    /// Records a partner's request. Returns the rule and whether it is new: registering a URL
    /// that is already pending or approved returns that record instead of a duplicate.
    pub async fn register_return_url(
        &self,
        partner: &Partner,
        raw: &str,
    ) -> ServiceResult<(ReturnUrlRule, bool)> {
        let now = Utc::now();
        let mut rule = ReturnUrlRule::request(partner.id, raw, self.settings.url_policy(), now)?;
        let existing = self.partner_return_urls(partner).await?;
        if let Some(same) = existing
            .into_iter()
            .find(|r| standing(r) && same_rule(r, &rule))
        {
            return Ok((same, false));
        }
        if partner.return_urls == ReturnUrlPolicy::Registered {
            // The operator trusts this partner to name its own: approved as registered.
            rule.status = ReturnUrlStatus::Approved;
            rule.decided_at = Some(now);
        }
        self.store.insert_return_url_rule(&rule).await?;
        Ok((rule, true))
    }

    /// Makes the partner's standing registrations exactly `raws` (a Hopae app's redirect-URI
    /// list): new ones are registered (pending an operator, or approved for a partner whose
    /// registrations are), ones no longer named are withdrawn. All are checked before any
    /// is written. Returns the standing rules afterwards, oldest first.
    pub async fn replace_return_urls(
        &self,
        partner: &Partner,
        raws: &[String],
    ) -> ServiceResult<Vec<ReturnUrlRule>> {
        let now = Utc::now();
        let wanted = raws
            .iter()
            .map(|raw| ReturnUrlRule::request(partner.id, raw, self.settings.url_policy(), now))
            .collect::<Result<Vec<_>, _>>()?;
        for old in self.partner_return_urls(partner).await? {
            if standing(&old) && !wanted.iter().any(|w| same_rule(&old, w)) {
                self.store
                    .decide_return_url_rule(old.id, ReturnUrlStatus::Withdrawn, now)
                    .await?;
            }
        }
        for raw in raws {
            self.register_return_url(partner, raw).await?;
        }
        let mut standing_rules: Vec<ReturnUrlRule> = self
            .partner_return_urls(partner)
            .await?
            .into_iter()
            .filter(standing)
            .collect();
        standing_rules.sort_by_key(|r| r.requested_at);
        Ok(standing_rules)
    }

    pub async fn partner_return_urls(
        &self,
        partner: &Partner,
    ) -> ServiceResult<Vec<ReturnUrlRule>> {
        Ok(self
            .store
            .list_return_url_rules(ReturnUrlFilter {
                partner_id: Some(partner.id),
                status: None,
            })
            .await?)
    }

    /// Operator view: every partner's rules, optionally one status only.
    pub async fn list_return_urls(
        &self,
        status: Option<ReturnUrlStatus>,
    ) -> ServiceResult<Vec<ReturnUrlRule>> {
        Ok(self
            .store
            .list_return_url_rules(ReturnUrlFilter {
                partner_id: None,
                status,
            })
            .await?)
    }

    pub async fn decide_return_url(
        &self,
        id: ReturnUrlRuleId,
        status: ReturnUrlStatus,
    ) -> ServiceResult<ReturnUrlRule> {
        Ok(self
            .store
            .decide_return_url_rule(id, status, Utc::now())
            .await?)
    }

    /// Checks `candidate` against the partner's approved rules and returns its canonical form.
    pub async fn approved_return_url(
        &self,
        partner: &Partner,
        candidate: &str,
    ) -> ServiceResult<String> {
        if partner.return_urls == ReturnUrlPolicy::AnyHttps {
            // The same strict grammar (https, or http to loopback in test mode), no rule.
            let url = idgate_core::NormalizedUrl::parse(candidate, self.settings.url_policy())?;
            return Ok(url.to_url_string());
        }
        let rules = self
            .store
            .list_return_url_rules(ReturnUrlFilter {
                partner_id: Some(partner.id),
                status: Some(ReturnUrlStatus::Approved),
            })
            .await?;
        match return_url::match_return_url(candidate, &rules, self.settings.url_policy())? {
            Some((_, url)) => Ok(url.to_url_string()),
            None => Err(ServiceError::ReturnUrlNotAllowed),
        }
    }
}

/// Pending or approved: neither turned down by an operator nor taken back by the partner.
fn standing(rule: &ReturnUrlRule) -> bool {
    matches!(
        rule.status,
        ReturnUrlStatus::Pending | ReturnUrlStatus::Approved
    )
}

/// Whether two registrations name the same URL in normal form.
fn same_rule(a: &ReturnUrlRule, b: &ReturnUrlRule) -> bool {
    a.normalized_scheme == b.normalized_scheme
        && a.normalized_host == b.normalized_host
        && a.normalized_path_prefix == b.normalized_path_prefix
}
