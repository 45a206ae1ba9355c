//! The demo as a user runs it (`idgate serve`, the default configuration): EasyFreelance's
//! `bankid` goes through the real BankID adapter to the built-in simulator, over mutual TLS
//! with the simulator's PKCS#12 RP certificate, offline; and the demo's operator token works.

use crate::support::{Db, after, free_port, serve};
use serde_json::{Value, json};

fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} on the page: {page}"))
}

#[tokio::test]
async fn the_demos_easyfreelance_bankid_signs_through_the_real_adapter_and_the_simulator() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::for_test(dir.path());
    let node = serve(dir.path(), &db, free_port(), &[]).await;
    let base = node.base();
    let token = after(&node.printed, "access token:").to_owned();
    let api_key = after(&node.printed, "API-key:").to_owned();
    let http = reqwest::Client::new();
    let authed = |r: reqwest::RequestBuilder| r.bearer_auth(&token).header("API-key", &api_key);
    let create = async |body: Value| -> (u16, Value) {
        let r = authed(http.post(format!("{base}/api/v1/users/11/verification/flows")))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    };
    let return_url = format!("{base}/demo/return");

    // `sign_text` is BankID's: refused for Veriff, and when it is not text.
    for body in [
        json!({"provider": "veriff", "id_type": "local", "partner_return_url": return_url, "sign_text": "x"}),
        json!({"provider": "bankid", "partner_return_url": return_url, "sign_text": 7}),
        json!({"provider": "bankid", "partner_return_url": return_url, "sign_text": " "}),
    ] {
        let (status, problem) = create(body).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains("sign_text"), "{problem}");
    }

    let text_to_sign = "I, the freelancer, accept the contract of *7 December 2026*.";
    let (status, created) = create(json!({
        "provider": "bankid",
        "partner_return_url": return_url,
        "sign_text": text_to_sign
    }))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let url = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let started = http
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(started.status().is_success(), "{}", started.status());
    let progress: Value = http
        .get(format!("{url}/progress"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = progress["qr_code"].as_str().unwrap_or_default().to_owned();
    assert!(
        code.starts_with("bankid."),
        "BankID's animated QR code: {progress}"
    );
    assert_eq!(progress["message"], "Start your BankID app.", "{progress}");

    // The simulated app scans the code and shows the text to sign.
    let scanned = http
        .post(format!("{base}/simulators/bankid/app/scan"))
        .form(&[("qr", code.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(scanned.contains("*7 December 2026*"), "{scanned}");
    let answered = http
        .post(format!("{base}/simulators/bankid/app/answer"))
        .form(&[
            ("order_ref", field(&scanned, "order_ref")),
            ("person", "198503142389"),
            ("action", "approve"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered.status(), 200);

    // The partner's poll collects the order (BankID is asked at most every 2 s): approved.
    let mut status = Value::Null;
    for _ in 0..50 {
        status = authed(http.get(format!("{base}/api/v1/verification/status/{id}")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if status["status"] != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(status["status"], "approved", "{status}");
    assert_eq!(status["provider"], "bankid", "{status}");
    // The simulator's PKI is in the folder beside the key file, the RP certificate as PKCS#12.
    assert!(
        dir.path().join("db/bankid-simulator/rp.p12").is_file(),
        "rp.p12 was written out"
    );
    // The demo's operator: its admin API token, printed with the partner's credentials, works.
    let admin_token = after(&node.printed, "admin API token:")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(admin_token.starts_with("idg_op_"), "{}", node.printed);
    let partners: Value = http
        .get(format!("{base}/admin/v1/partners"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(partners[0]["name"], "Demo partner", "{partners}");
    assert!(node.printed.contains("username:        demo-admin"));
    node.stop().await;
}
