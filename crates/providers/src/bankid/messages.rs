//! BankID's official user messages (its "RFA" texts), which BankID asks relying parties to show
//! as they are: in Swedish, and in English for everyone else.

fn swedish(lang: &str) -> bool {
    lang.split('-')
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("sv"))
}

/// The message for a pending order's hint code in a QR flow (the app is on another device).
pub fn pending(hint: &str, lang: &str) -> &'static str {
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
    if swedish(lang) { sv } else { en }
}

/// The message for the hint code a failed order ended with.
pub fn failed(hint: &str, lang: &str) -> &'static str {
    let (sv, en) = match hint {
        // RFA3
        "cancelled" => (
            "Åtgärden avbruten. Försök igen.",
            "Action cancelled. Please try again.",
        ),
        // RFA4 (the order was refused, not failed: another one for the person was running)
        "alreadyInProgress" => (
            "En identifiering eller underskrift för det här personnumret är redan påbörjad. Försök igen.",
            "An identification or signing for this personal number is already started. Please try again.",
        ),
        // RFA6 (the person declined the call too)
        "userCancel" | "userDeclinedCall" => ("Åtgärden avbruten.", "Action cancelled."),
        // RFA8
        "expiredTransaction" => (
            "BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Om du inte har något giltigt BankID kan du hämta ett hos din bank. Försök sedan igen.",
            "The BankID app is not responding. Please check that it's started and that you have internet access. If you don't have a valid BankID you can get one from your bank. Try again.",
        ),
        // RFA16
        "certificateErr" => (
            "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID eller hämta ett nytt hos din bank.",
            "The BankID you are trying to use is blocked or too old. Please use another BankID or get a new one from your bank.",
        ),
        // RFA17
        "startFailed" => (
            "Misslyckades att läsa av QR koden. Starta BankID-appen och läs av QR koden. Kontrollera att BankID-appen är uppdaterad. Om du inte har BankID-appen måste du installera den och hämta ett BankID hos din bank. Installera appen från din appbutik eller https://install.bankid.com",
            "The scan of the QR code failed. Start the BankID app and scan the QR code. Check that the BankID app is up to date. If you don't have the BankID app, you need to install it and get a BankID from your bank. Install the app from your app store or https://install.bankid.com",
        ),
        // RFA22: the risk block, an app too old for the order, and codes BankID adds later.
        _ => (
            "Okänt fel. Försök igen.",
            "Unknown error. Please try again.",
        ),
    };
    if swedish(lang) { sv } else { en }
}

#[cfg(test)]
mod tests {
    use super::{failed, pending};

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

    #[test]
    fn failures_get_their_own_messages_and_unknown_ones_rfa22() {
        assert_eq!(failed("userCancel", "sv"), "Åtgärden avbruten.");
        assert_eq!(
            failed("cancelled", "en"),
            "Action cancelled. Please try again."
        );
        assert!(failed("certificateErr", "en").starts_with("The BankID you are trying to use"));
        assert!(failed("startFailed", "sv-SE").starts_with("Misslyckades att läsa av QR koden."));
        assert_eq!(
            failed("somethingNew", "en"),
            "Unknown error. Please try again."
        );
    }
}
