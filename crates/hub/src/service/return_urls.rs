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
        let rule = ReturnUrlRule::request(partner.id, raw, self.settings.url_policy(), Utc::now())?;
        let existing = self.partner_return_urls(partner).await?;
        if let Some(same) = existing.into_iter().find(|r| {
            r.status != ReturnUrlStatus::Rejected
                && r.normalized_scheme == rule.normalized_scheme
                && r.normalized_host == rule.normalized_host
                && r.normalized_path_prefix == rule.normalized_path_prefix
        }) {
            return Ok((same, false));
        }
        self.store.insert_return_url_rule(&rule).await?;
        Ok((rule, true))
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
