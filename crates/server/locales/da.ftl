# idgates websider på dansk. Samme besked-id'er som i den engelske reference (en.ftl).

## Alle sider
page-title = Identitetsbekræftelse
language-label = Sprog
sandbox-label = Testmiljø.
sandbox-note = Dette er et testmiljø: Der foretages ingen rigtig identitetskontrol, og intet her sendes til en rigtig udbyder.
support-contact = Har du brug for hjælp? Kontakt { $partner }:
privacy-policy = Privatlivspolitik for { $partner }
accessibility-statement = Tilgængelighedserklæring
unknown-partner = Tjenesten du kom fra

## Den første side
landing-title = Bekræft din identitet
landing-intro = { $partner } beder dig bekræfte din identitet med { $provider }.
landing-retry = Dit tidligere forsøg skal gøres om. Start forfra.
landing-identifier-label = Din identifikator til { $provider }
landing-identifier-help = Vi sender en anmodning til din { $provider }-app.
landing-test-identifiers = Testidentifikatorer:
landing-identifier-missing = Indtast din identifikator.
landing-send-request = Send anmodning til min app
landing-continue = Fortsæt til { $provider }
landing-continue-on-phone = Fortsæt på din mobil
landing-cancel = Annuller og gå tilbage til { $partner }
landing-expiry = Linket er personligt. Det er gyldigt til { $expires }.

## Venter på en afgørelse
waiting-title = Verificering i gang
waiting-message = Dine oplysninger bliver kontrolleret. Siden opdaterer sig selv. Du kan også lukke den – { $partner } får besked om resultatet.

## Fortsæt på din mobil
phone-title = Fortsæt på din mobil
phone-intro = Scan koden med din mobils kamera for at fortsætte verificeringen for { $partner } der. Denne side følger med og går videre når du er færdig.
phone-qr-label = QR-kode der åbner din verificering på en mobil
phone-cannot-scan = Kan du ikke scanne? Åbn dette link på din mobil
phone-waiting = Venter på din mobil.
phone-continuing = Fortsætter på din mobil.
phone-link-once = Linket virker én gang og er gyldigt i ti minutter.
phone-continue-here = Fortsæt på denne enhed i stedet
handoff-used-title = Linket er allerede blevet brugt
handoff-used = Et link til at fortsætte på en mobil virker kun én gang. Vis koden igen på din computer for at få et nyt.
handoff-expired-title = Linket er udløbet
handoff-expired = Et link til at fortsætte på en mobil er gyldigt i ti minutter. Vis koden igen på din computer for at få et nyt.

## QR-kode og app
live-qr-title = Scan med { $provider }
live-push-title = Bekræft i { $provider }
live-checking = Dine oplysninger bliver kontrolleret. Siden opdaterer sig selv.
live-qr-scan = Åbn din { $provider }-app og scan koden.
live-qr-scanned = Koden er scannet af en mobil. Bekræft i { $provider }-appen på den mobil.
live-push-sent = Der er sendt en anmodning til din { $provider }-app. Åbn appen og bekræft.
live-push-sent-to = Anmodningen blev sendt til { $identifier }.
live-qr-label = QR-kode til scanning med din { $provider }-app
live-qr-as-text = Kan du ikke scanne? Vis koden som tekst
live-check-code = Tjek at din app viser denne kode før du bekræfter:
live-open-app = Åbn appen på denne enhed
live-simulated-app = Åbn den simulerede mobilapp
cancel = Annuller
continue = Fortsæt

## Resultat
outcome-approved-title = Din identitet er bekræftet
outcome-approved = Tak. Du kan lukke denne side.
outcome-declined-title = Verificeringen lykkedes ikke
outcome-declined = Din identitet kunne ikke bekræftes.
outcome-resubmit-title = Prøv igen
outcome-resubmit = Verificeringen kunne ikke gennemføres denne gang. Åbn det oprindelige link igen for at starte forfra.
outcome-review-title = Verificering i gang
outcome-review = Dine oplysninger bliver kontrolleret. Du kan lukke denne side: { $partner } får besked om resultatet.
outcome-cancelled-title = Verificeringen er annulleret
outcome-cancelled = Du har annulleret verificeringen.
outcome-cancelled-by-partner = { $partner } har annulleret denne verificering. Bed { $partner } om et nyt link hvis du stadig har brug for et.
outcome-expired-title = Linket er udløbet
outcome-expired = Bed { $partner } om et nyt link.
outcome-unfinished-title = Verificeringen er ikke afsluttet
outcome-unfinished = Åbn det oprindelige link igen for at fortsætte.
back-to-partner = Tilbage til { $partner }

## Fejl
not-found-title = Siden blev ikke fundet
not-found = Der er intet på denne adresse.
invalid-link-title = Linket virker ikke
invalid-link = Verificeringslinket er ikke gyldigt. Bed den tjeneste der sendte dig hertil, om et nyt.
tampered = Adressen er ændret eller ufuldstændig, så vi kan ikke fortsætte. Start forfra med det oprindelige link.
attempt-expired-title = Dette login tog for lang tid
attempt-expired = Der er gået for lang tid siden du startede, så vi kan ikke godkende dette login. Åbn det oprindelige link igen og start forfra.
other-browser-title = Fortsæt i den browser hvor du startede
other-browser = Dette login blev startet i en anden browser, eller cookies i denne browser er blevet slettet, så vi kan ikke godkende det her. Åbn det oprindelige link igen i denne browser og start forfra.
step-done-title = Dette trin er allerede gennemført
step-done = Din verificering er gået videre. Åbn det oprindelige link igen for at se status.
failure-title = Noget gik galt
failure = Vi kunne ikke fortsætte din verificering. Prøv igen om lidt.
too-many-title = For mange forespørgsler
too-many-wait = Vent { $seconds } sekunder, og genindlæs derefter siden.
too-many-attempts = Denne verificering er forsøgt for mange gange. Bed den tjeneste der sendte dig hertil, om et nyt link.

## Tilgængelighedserklæring
a11y-title = Tilgængelighedserklæring
a11y-intro = Disse verificeringssider har som mål at leve op til retningslinjerne for tilgængeligt webindhold, WCAG 2.1, på niveau AA. De kan bruges med tastatur alene og med skærmlæser, i lyst og mørkt tema og på alle skærmstørrelser.
a11y-testing = Hver side kontrolleres med tilgængelighedsværktøjet axe-core i en rigtig browser før hver ny version. QR-koder kan også vises som tekst, og fremskridt meddeles uden at siden genindlæses.
a11y-providers = Identitetsudbyderens egne sider og apps er uden for idgates kontrol. Hvis noget ikke virker for dig, kan du kontakte den tjeneste der sendte dig hertil.

## Vælg en måde at bekræfte på
choose-title = Vælg, hvordan du vil bekræfte din identitet
choose-intro = { $partner } accepterer flere måder. Vælg den, du har.
choose-in-browser = I din browser
choose-scan = Scan en QR-kode med appen på din mobil
choose-app = Bekræft i appen på din mobil
choose-another = Vælg en anden måde

## Log ind hos en anden tjeneste
signin-other-browser-title = Fortsæt, hvor du startede
signin-other-browser = Dette login hører til den browser, hvor det blev startet. Gå tilbage til den tjeneste, du kom fra, og start forfra i denne browser.
signin-stale-title = Dette login er udløbet
signin-stale = Der er gået for lang tid til at gennemføre dette login. Gå tilbage til den tjeneste, du kom fra, og log ind igen.
