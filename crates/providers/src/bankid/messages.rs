//! BankID's official user messages (its "RFA" texts), which BankID asks relying parties to show
//! as they are: in Swedish, and in English for everyone else.

/// The message for a pending order's hint code in a QR flow (the app is on another device).
pub fn pending(hint: &str, lang: &str) -> &'static str {
    let swedish = lang
        .split('-')
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("sv"));
    let (sv, en) = match hint {
        // RFA1
        "outstandingTransaction" | "noClient" => ("Starta BankID-appen.", "Start your BankID app."),
        // RFA15B
        "started" => (
            "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.",
            "Searching for BankID. Make sure you have a valid BankID on this device.",
        ),
        // RFA9
        "userSign" => (
            "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
            "Enter your security code in the BankID app and select Identify or Sign.",
        ),
        // RFA23
        "userMrtd" => (
            "Fotografera och läs av din ID-handling med BankID-appen.",
            "Take a photo of, and scan, your ID document with the BankID app.",
        ),
        // RFA21: userCallConfirm and codes BankID adds later.
        _ => (
            "En identifiering eller underskrift pågår.",
            "An identification or signing is in progress.",
        ),
    };
    if swedish { sv } else { en }
}

#[cfg(test)]
mod tests {
    use super::pending;

    #[test]
    fn swedish_for_swedish_english_for_the_rest_and_unknown_codes_get_rfa21() {
        assert_eq!(
            pending("outstandingTransaction", "sv"),
            "Starta BankID-appen."
        );
        assert_eq!(
            pending("outstandingTransaction", "sv-FI"),
            "Starta BankID-appen."
        );
        assert_eq!(
            pending("outstandingTransaction", "de"),
            "Start your BankID app."
        );
        assert_eq!(
            pending("userSign", "en"),
            "Enter your security code in the BankID app and select Identify or Sign."
        );
        assert_eq!(
            pending("somethingNew", "sv"),
            "En identifiering eller underskrift pågår."
        );
    }
}
