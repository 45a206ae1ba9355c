# idgates nettsider på norsk bokmål. Samme meldings-ID-er som i den engelske referansen (en.ftl).

## Alle sider
page-title = Identitetsbekreftelse
language-label = Språk
sandbox-label = Testmiljø.
sandbox-note = Dette er et testmiljø: Ingen ekte identitetskontroll blir gjort, og ingenting her sendes til en ekte leverandør.
support-contact = Trenger du hjelp? Kontakt { $partner }:
privacy-policy = Personvernerklæring for { $partner }
accessibility-statement = Tilgjengelighetserklæring
unknown-partner = Tjenesten du kom fra

## Den første siden
landing-title = Bekreft identiteten din
landing-intro = { $partner } ber deg bekrefte identiteten din med { $provider }.
landing-retry = Det forrige forsøket ditt må gjøres om. Start på nytt.
landing-identifier-label = Din identifikator for { $provider }
landing-identifier-help = Vi sender en forespørsel til { $provider }-appen din.
landing-test-identifiers = Testidentifikatorer:
landing-identifier-missing = Skriv inn identifikatoren din.
landing-send-request = Send forespørsel til appen min
landing-continue = Fortsett til { $provider }
landing-continue-on-phone = Fortsett på mobilen
landing-cancel = Avbryt og gå tilbake til { $partner }
landing-expiry = Lenken er personlig. Den er gyldig til { $expires }.

## Venter på en avgjørelse
waiting-title = Verifisering pågår
waiting-message = Opplysningene dine blir kontrollert. Siden oppdaterer seg selv. Du kan også lukke den – { $partner } får beskjed om resultatet.

## Fortsett på mobilen
phone-title = Fortsett på mobilen
phone-intro = Skann denne koden med kameraet på mobilen for å fortsette verifiseringen for { $partner } der. Denne siden følger med og går videre når du er ferdig.
phone-qr-label = QR-kode som åpner verifiseringen din på en mobil
phone-cannot-scan = Får du ikke skannet? Åpne denne lenken på mobilen
phone-waiting = Venter på mobilen din.
phone-continuing = Fortsetter på mobilen din.
phone-link-once = Lenken virker én gang og er gyldig i ti minutter.
phone-continue-here = Fortsett på denne enheten i stedet
handoff-used-title = Denne lenken er allerede brukt
handoff-used = En lenke for å fortsette på mobilen virker bare én gang. Vis koden på nytt på datamaskinen for å få en ny.
handoff-expired-title = Denne lenken er utløpt
handoff-expired = En lenke for å fortsette på mobilen er gyldig i ti minutter. Vis koden på nytt på datamaskinen for å få en ny.

## QR-kode og app
live-qr-title = Skann med { $provider }
live-push-title = Bekreft i { $provider }
live-checking = Opplysningene dine blir kontrollert. Siden oppdaterer seg selv.
live-qr-scan = Åpne { $provider }-appen og skann koden.
live-qr-scanned = Koden er skannet av en mobil. Bekreft i { $provider }-appen på den mobilen.
live-push-sent = En forespørsel er sendt til { $provider }-appen din. Åpne appen og bekreft.
live-push-sent-to = Forespørselen ble sendt til { $identifier }.
live-qr-label = QR-kode som skal skannes med { $provider }-appen din
live-qr-as-text = Får du ikke skannet? Vis koden som tekst
live-check-code = Kontroller at appen viser denne koden før du bekrefter:
live-open-app = Åpne appen på denne enheten
live-simulated-app = Åpne den simulerte mobilappen
cancel = Avbryt
continue = Fortsett

## Resultat
outcome-approved-title = Identiteten din er bekreftet
outcome-approved = Takk! Du kan lukke denne siden.
outcome-declined-title = Verifiseringen mislyktes
outcome-declined = Vi kunne ikke bekrefte identiteten din.
outcome-resubmit-title = Prøv igjen
outcome-resubmit = Verifiseringen kunne ikke fullføres denne gangen. Åpne den opprinnelige lenken på nytt for å starte igjen.
outcome-review-title = Verifisering pågår
outcome-review = Opplysningene dine blir kontrollert. Du kan lukke denne siden: { $partner } får beskjed om resultatet.
outcome-cancelled-title = Verifiseringen er avbrutt
outcome-cancelled = Du avbrøt verifiseringen.
outcome-cancelled-by-partner = { $partner } har avbrutt denne verifiseringen. Be { $partner } om en ny lenke hvis du fortsatt trenger en.
outcome-expired-title = Denne lenken er utløpt
outcome-expired = Be { $partner } om en ny lenke.
outcome-unfinished-title = Verifiseringen er ikke fullført
outcome-unfinished = Åpne den opprinnelige lenken på nytt for å fortsette.
back-to-partner = Tilbake til { $partner }

## Feil
not-found-title = Fant ikke siden
not-found = Det finnes ingenting på denne adressen.
invalid-link-title = Denne lenken virker ikke
invalid-link = Verifiseringslenken er ikke gyldig. Be tjenesten som sendte deg hit, om en ny.
tampered = Adressen er endret eller ufullstendig, så vi kan ikke fortsette. Start på nytt fra den opprinnelige lenken.
attempt-expired-title = Innloggingen tok for lang tid
attempt-expired = Det har gått for lang tid siden du startet, så vi kan ikke godta innloggingen. Åpne den opprinnelige lenken på nytt og start igjen.
other-browser-title = Fortsett i nettleseren der du startet
other-browser = Denne innloggingen ble startet i en annen nettleser, eller informasjonskapslene i denne nettleseren er slettet, så vi kan ikke godta den her. Åpne den opprinnelige lenken på nytt i denne nettleseren og start igjen.
step-done-title = Dette steget er allerede fullført
step-done = Verifiseringen din har gått videre. Åpne den opprinnelige lenken på nytt for å se status.
failure-title = Noe gikk galt
failure = Vi kunne ikke fortsette verifiseringen din. Prøv igjen om litt.
too-many-title = For mange forespørsler
too-many-wait = Vent { $seconds } sekunder, og last deretter inn siden på nytt.
too-many-attempts = Denne verifiseringen er forsøkt for mange ganger. Be tjenesten som sendte deg hit, om en ny lenke.

## Tilgjengelighetserklæring
a11y-title = Tilgjengelighetserklæring
a11y-intro = Disse verifiseringssidene har som mål å oppfylle retningslinjene for tilgjengelig webinnhold, WCAG 2.1, på nivå AA. De kan brukes med bare tastatur og med skjermleser, i lys og mørk modus og på alle skjermstørrelser.
a11y-testing = Hver side kontrolleres med tilgjengelighetsverktøyet axe-core i en ekte nettleser før hver ny versjon. QR-koder kan også vises som tekst, og fremdriften varsles uten at siden lastes inn på nytt.
a11y-providers = Identitetsleverandørens egne sider og apper er utenfor idgates kontroll. Hvis noe ikke virker for deg, kan du kontakte tjenesten som sendte deg hit.

## Velge måte å bekrefte på
choose-title = Velg hvordan du vil bekrefte identiteten din
choose-intro = { $partner } godtar flere måter. Velg den du har.
choose-in-browser = I nettleseren din
choose-scan = Skann en QR-kode med appen på mobilen din
choose-app = Bekreft i appen på mobilen din
choose-another = Velg en annen måte

## Logge inn hos en annen tjeneste
signin-other-browser-title = Fortsett der du startet
signin-other-browser = Denne innloggingen hører til nettleseren der den ble startet. Gå tilbake til tjenesten du kom fra, og start på nytt i denne nettleseren.
signin-stale-title = Innloggingen er utløpt
signin-stale = Det har gått for lang tid til å fullføre innloggingen. Gå tilbake til tjenesten du kom fra, og logg inn på nytt.
