# Die Seiten von idgate auf Deutsch. Dieselben Nachrichten-IDs wie in der englischen Referenz (en.ftl).

## Alle Seiten
page-title = Identitätsprüfung
language-label = Sprache
sandbox-label = Testumgebung.
sandbox-note = Dies ist eine Testumgebung: Es findet keine echte Identitätsprüfung statt, und nichts von hier wird an einen echten Anbieter gesendet.
support-contact = Benötigen Sie Hilfe? Kontaktieren Sie { $partner }:
privacy-policy = Datenschutzerklärung von { $partner }
accessibility-statement = Erklärung zur Barrierefreiheit
unknown-partner = Der Dienst, von dem Sie kommen

## Die erste Seite
landing-title = Bestätigen Sie Ihre Identität
landing-intro = { $partner } bittet Sie, Ihre Identität mit { $provider } zu bestätigen.
landing-retry = Ihr vorheriger Versuch muss wiederholt werden. Bitte beginnen Sie erneut.
landing-identifier-label = Ihre Kennung bei { $provider }
landing-identifier-help = Wir senden eine Anfrage an Ihre { $provider }-App.
landing-test-identifiers = Testkennungen:
landing-identifier-missing = Geben Sie Ihre Kennung ein.
landing-send-request = Anfrage an meine App senden
landing-continue = Weiter zu { $provider }
landing-continue-on-phone = Auf dem Smartphone fortfahren
landing-cancel = Abbrechen und zurück zu { $partner }
landing-expiry = Dieser Link ist persönlich. Er ist gültig bis { $expires }.

## Warten auf eine Entscheidung
waiting-title = Verifizierung läuft
waiting-message = Ihre Angaben werden geprüft. Diese Seite aktualisiert sich automatisch. Sie können sie auch schließen – { $partner } wird über das Ergebnis informiert.

## Auf dem Smartphone fortfahren
phone-title = Auf dem Smartphone fortfahren
phone-intro = Scannen Sie diesen Code mit der Kamera Ihres Smartphones, um Ihre Verifizierung für { $partner } dort fortzusetzen. Diese Seite verfolgt den Fortschritt und geht weiter, sobald Sie fertig sind.
phone-qr-label = QR-Code, der Ihre Verifizierung auf einem Smartphone öffnet
phone-cannot-scan = Scannen nicht möglich? Öffnen Sie diesen Link auf Ihrem Smartphone
phone-waiting = Warten auf Ihr Smartphone.
phone-continuing = Es geht auf Ihrem Smartphone weiter.
phone-link-once = Der Link funktioniert einmal und ist zehn Minuten lang gültig.
phone-continue-here = Stattdessen auf diesem Gerät fortfahren
handoff-used-title = Dieser Link wurde bereits verwendet
handoff-used = Ein Link zum Fortfahren auf dem Smartphone funktioniert nur einmal. Lassen Sie den Code auf Ihrem Computer erneut anzeigen, um einen neuen zu erhalten.
handoff-expired-title = Dieser Link ist abgelaufen
handoff-expired = Ein Link zum Fortfahren auf dem Smartphone ist zehn Minuten lang gültig. Lassen Sie den Code auf Ihrem Computer erneut anzeigen, um einen neuen zu erhalten.

## QR-Code und App
live-qr-title = Mit { $provider } scannen
live-push-title = In { $provider } bestätigen
live-checking = Ihre Angaben werden geprüft. Diese Seite aktualisiert sich automatisch.
live-qr-scan = Öffnen Sie Ihre { $provider }-App und scannen Sie den Code.
live-qr-scanned = Der Code wurde von einem Smartphone gescannt. Bestätigen Sie in der { $provider }-App auf diesem Smartphone.
live-push-sent = Eine Anfrage wurde an Ihre { $provider }-App gesendet. Öffnen Sie die App und bestätigen Sie.
live-push-sent-to = Die Anfrage wurde an { $identifier } gesendet.
live-qr-label = QR-Code zum Scannen mit Ihrer { $provider }-App
live-qr-as-text = Scannen nicht möglich? Code als Text anzeigen
live-check-code = Prüfen Sie vor dem Bestätigen, ob Ihre App diesen Code anzeigt:
live-open-app = App auf diesem Gerät öffnen
live-simulated-app = Simulierte Smartphone-App öffnen
cancel = Abbrechen
continue = Weiter

## Ergebnisse
outcome-approved-title = Ihre Identität wurde bestätigt
outcome-approved = Vielen Dank. Sie können diese Seite schließen.
outcome-declined-title = Verifizierung nicht erfolgreich
outcome-declined = Ihre Identität konnte nicht bestätigt werden.
outcome-resubmit-title = Bitte versuchen Sie es erneut
outcome-resubmit = Ihre Verifizierung konnte diesmal nicht abgeschlossen werden. Öffnen Sie den Link, den Sie erhalten haben, erneut, um von vorn zu beginnen.
outcome-review-title = Verifizierung läuft
outcome-review = Ihre Angaben werden geprüft. Sie können diese Seite schließen: { $partner } wird über das Ergebnis informiert.
outcome-cancelled-title = Verifizierung abgebrochen
outcome-cancelled = Sie haben die Verifizierung abgebrochen.
outcome-cancelled-by-partner = { $partner } hat diese Verifizierung abgebrochen. Fordern Sie dort einen neuen Link an, falls Sie noch einen benötigen.
outcome-expired-title = Dieser Link ist abgelaufen
outcome-expired = Fordern Sie bei { $partner } einen neuen Link an.
outcome-unfinished-title = Verifizierung nicht abgeschlossen
outcome-unfinished = Öffnen Sie den Link, den Sie erhalten haben, erneut, um fortzufahren.
back-to-partner = Zurück zu { $partner }

## Fehler
not-found-title = Seite nicht gefunden
not-found = Unter dieser Adresse ist nichts zu finden.
invalid-link-title = Dieser Link funktioniert nicht
invalid-link = Der Verifizierungslink ist ungültig. Fordern Sie bei dem Dienst, der Sie hierher geschickt hat, einen neuen an.
tampered = Die Adresse wurde verändert oder ist unvollständig, daher können wir nicht fortfahren. Beginnen Sie erneut über den Link, den Sie erhalten haben.
attempt-expired-title = Diese Anmeldung hat zu lange gedauert
attempt-expired = Seit dem Start ist zu viel Zeit vergangen, daher können wir die Anmeldung nicht annehmen. Öffnen Sie den Link, den Sie erhalten haben, erneut und beginnen Sie von vorn.
other-browser-title = Fahren Sie in dem Browser fort, in dem Sie begonnen haben
other-browser = Diese Anmeldung wurde in einem anderen Browser begonnen, oder die Cookies dieses Browsers wurden gelöscht, daher können wir sie hier nicht annehmen. Öffnen Sie den Link, den Sie erhalten haben, erneut in diesem Browser und beginnen Sie von vorn.
step-done-title = Dieser Schritt ist bereits erledigt
step-done = Ihre Verifizierung ist bereits weiter fortgeschritten. Öffnen Sie den Link, den Sie erhalten haben, erneut, um den aktuellen Stand zu sehen.
failure-title = Etwas ist schiefgelaufen
failure = Wir konnten Ihre Verifizierung nicht fortsetzen. Bitte versuchen Sie es in Kürze erneut.
too-many-title = Zu viele Anfragen
too-many-wait = Bitte warten Sie { $seconds } Sekunden und laden Sie diese Seite dann neu.
too-many-attempts = Diese Verifizierung wurde zu oft versucht. Fordern Sie bei dem Dienst, der Sie hierher geschickt hat, einen neuen Link an.

## Erklärung zur Barrierefreiheit
a11y-title = Erklärung zur Barrierefreiheit
a11y-intro = Diese Verifizierungsseiten sollen die Richtlinien für barrierefreie Webinhalte WCAG 2.1 auf Konformitätsstufe AA erfüllen. Sie lassen sich allein mit der Tastatur und mit Screenreadern bedienen, im hellen und dunklen Modus und bei jeder Bildschirmgröße.
a11y-testing = Jede Seite wird vor jeder Veröffentlichung mit der Prüfsoftware axe-core in einem echten Browser geprüft. QR-Codes können auch als Text angezeigt werden, und Fortschritte werden angesagt, ohne dass die Seite neu geladen wird.
a11y-providers = Die eigenen Seiten und Apps des Identitätsanbieters liegen außerhalb des Einflussbereichs von idgate. Wenn etwas für Sie nicht funktioniert, wenden Sie sich an den Dienst, der Sie hierher geschickt hat.

## Art der Prüfung wählen
choose-title = Wählen Sie, wie Sie Ihre Identität bestätigen möchten
choose-intro = { $partner } akzeptiert mehrere Möglichkeiten. Wählen Sie die, die Sie haben.
choose-in-browser = In Ihrem Browser
choose-scan = QR-Code mit der App auf Ihrem Handy scannen
choose-app = In der App auf Ihrem Handy bestätigen
choose-another = Andere Möglichkeit wählen

## Anmeldung bei einem anderen Dienst
signin-other-browser-title = Fahren Sie dort fort, wo Sie begonnen haben
signin-other-browser = Diese Anmeldung gehört zu dem Browser, in dem sie begonnen wurde. Kehren Sie zu dem Dienst zurück, von dem Sie kamen, und beginnen Sie in diesem Browser neu.
signin-stale-title = Diese Anmeldung ist abgelaufen
signin-stale = Es ist zu viel Zeit vergangen, um diese Anmeldung abzuschließen. Kehren Sie zu dem Dienst zurück, von dem Sie kamen, und melden Sie sich erneut an.
