//! The hosted flow inside a partner's page (Veriff's InContext SDK puts it in an iframe).
//! Only origins the operator allowed for the partner (`idgate partner update
//! --frame-ancestor`) may frame its sessions' pages; every other response keeps
//! `frame-ancestors 'none'` and `X-Frame-Options: DENY` (see `ops::framing_policy`). The pages
//! tell the parent what happens with `postMessage` (`assets/idgate.js`); a framed flow ends on
//! a page that says it finished instead of loading the partner's return URL inside the frame.

use crate::ops::FrameAncestors;
use crate::state::AppState;
use axum::http::HeaderMap;
use axum::response::Response;
use idgate_core::Session;

/// Whether the browser is loading this document into a frame (Fetch Metadata, which every
/// current browser sends to https and loopback origins).
pub(crate) fn framed(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-dest")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"iframe"))
}

/// Lets the origins the session's partner allowed frame `response`.
pub(crate) async fn allow_frames(
    state: &AppState,
    session: &Session,
    mut response: Response,
) -> Response {
    if let Ok(partner) = state.session_partner(session).await
        && !partner.frame_ancestors.is_empty()
    {
        let origins = partner
            .frame_ancestors
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect();
        response.extensions_mut().insert(FrameAncestors(origins));
    }
    response
}
