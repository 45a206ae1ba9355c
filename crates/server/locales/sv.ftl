# idgates webbsidor på svenska. Samma meddelande-id:n som i den engelska referensen (en.ftl).

## Alla sidor
page-title = Identitetsverifiering
language-label = Språk
sandbox-label = Testmiljö.
sandbox-note = Det här är en testmiljö: ingen riktig identitetskontroll görs och inget här skickas till en riktig leverantör.
support-contact = Behöver du hjälp? Kontakta { $partner }:
privacy-policy = Integritetspolicy för { $partner }
accessibility-statement = Tillgänglighetsredogörelse
unknown-partner = Tjänsten du kom från

## Första sidan
landing-title = Verifiera din identitet
landing-intro = { $partner } ber dig verifiera din identitet med { $provider }.
landing-retry = Ditt förra försök behöver göras om. Börja om från början.
landing-identifier-label = Din identifierare för { $provider }
landing-identifier-help = Vi skickar en begäran till din { $provider }-app.
landing-test-identifiers = Testidentifierare:
landing-identifier-missing = Ange din identifierare.
landing-send-request = Skicka begäran till min app
landing-continue = Fortsätt till { $provider }
landing-continue-on-phone = Fortsätt i mobilen
landing-cancel = Avbryt och gå tillbaka till { $partner }
landing-expiry = Länken är personlig. Den gäller till { $expires }.

## I väntan på beslut
waiting-title = Verifiering pågår
waiting-message = Dina uppgifter kontrolleras. Sidan uppdateras automatiskt. Du kan också stänga den – { $partner } får veta resultatet.

## Fortsätt i mobilen
phone-title = Fortsätt i mobilen
phone-intro = Skanna koden med mobilens kamera för att fortsätta din verifiering för { $partner } där. Den här sidan följer med och går vidare när du är klar.
phone-qr-label = QR-kod som öppnar din verifiering i en mobil
phone-cannot-scan = Kan du inte skanna? Öppna den här länken i mobilen
phone-waiting = Väntar på din mobil.
phone-continuing = Fortsätter i din mobil.
phone-link-once = Länken fungerar en gång och gäller i tio minuter.
phone-continue-here = Fortsätt på den här enheten i stället
handoff-used-title = Länken har redan använts
handoff-used = En länk för att fortsätta i mobilen fungerar bara en gång. Visa koden igen på datorn för att få en ny.
handoff-expired-title = Länken har slutat gälla
handoff-expired = En länk för att fortsätta i mobilen gäller i tio minuter. Visa koden igen på datorn för att få en ny.

## QR-kod och app
live-qr-title = Skanna med { $provider }
live-push-title = Bekräfta i { $provider }
live-checking = Dina uppgifter kontrolleras. Sidan uppdateras automatiskt.
live-qr-scan = Öppna din { $provider }-app och skanna koden.
live-qr-scanned = Koden har skannats av en mobil. Bekräfta i { $provider }-appen i den mobilen.
live-push-sent = En begäran har skickats till din { $provider }-app. Öppna appen och bekräfta.
live-push-sent-to = Begäran skickades till { $identifier }.
live-qr-label = QR-kod att skanna med din { $provider }-app
live-qr-as-text = Kan du inte skanna? Visa koden som text
live-check-code = Kontrollera att appen visar den här koden innan du bekräftar:
live-open-app = Öppna appen på den här enheten
live-simulated-app = Öppna den simulerade mobilappen
cancel = Avbryt
continue = Fortsätt

## Resultat
outcome-approved-title = Du är verifierad
outcome-approved = Tack! Du kan stänga sidan.
outcome-declined-title = Verifieringen lyckades inte
outcome-declined = Din identitet kunde inte verifieras.
outcome-resubmit-title = Försök igen
outcome-resubmit = Verifieringen kunde inte slutföras den här gången. Öppna länken du fick igen för att börja om.
outcome-review-title = Verifiering pågår
outcome-review = Dina uppgifter kontrolleras. Du kan stänga sidan: { $partner } får veta resultatet.
outcome-cancelled-title = Verifieringen avbröts
outcome-cancelled = Du avbröt verifieringen.
outcome-cancelled-by-partner = { $partner } har avbrutit verifieringen. Be { $partner } om en ny länk om du fortfarande behöver en.
outcome-expired-title = Länken har slutat gälla
outcome-expired = Be { $partner } om en ny länk.
outcome-unfinished-title = Verifieringen är inte klar
outcome-unfinished = Öppna länken du fick igen för att fortsätta.
back-to-partner = Tillbaka till { $partner }

## Fel
not-found-title = Sidan hittades inte
not-found = Det finns ingenting på den här adressen.
invalid-link-title = Länken fungerar inte
invalid-link = Verifieringslänken är ogiltig. Be tjänsten som skickade dig hit om en ny.
tampered = Adressen har ändrats eller är ofullständig, så vi kan inte fortsätta. Börja om från länken du fick.
attempt-expired-title = Inloggningen tog för lång tid
attempt-expired = Det har gått för lång tid sedan du började, så vi kan inte godta inloggningen. Öppna länken du fick igen och börja om.
other-browser-title = Fortsätt i webbläsaren där du började
other-browser = Inloggningen påbörjades i en annan webbläsare, eller så har den här webbläsarens kakor rensats, så vi kan inte godta den här. Öppna länken du fick igen, i den här webbläsaren, och börja om.
step-done-title = Det här steget är redan klart
step-done = Din verifiering har gått vidare. Öppna länken du fick igen för att se hur den ligger till.
failure-title = Något gick fel
failure = Vi kunde inte fortsätta din verifiering. Försök igen om en stund.
too-many-title = För många förfrågningar
too-many-wait = Vänta { $seconds } sekunder och ladda sedan om sidan.
too-many-attempts = Verifieringen har försökts för många gånger. Be tjänsten som skickade dig hit om en ny länk.

## Tillgänglighetsredogörelse
a11y-title = Tillgänglighetsredogörelse
a11y-intro = De här verifieringssidorna strävar efter att uppfylla riktlinjerna för tillgängligt webbinnehåll, WCAG 2.1, på nivå AA. De fungerar med enbart tangentbord och med skärmläsare, i ljust och mörkt läge och på alla skärmstorlekar.
a11y-testing = Varje sida kontrolleras med tillgänglighetsverktyget axe-core i en riktig webbläsare före varje ny version. QR-koder kan också visas som text, och förloppet meddelas utan att sidan laddas om.
a11y-providers = Identitetsleverantörens egna sidor och appar ligger utanför idgates kontroll. Om något inte fungerar för dig kan du kontakta tjänsten som skickade dig hit.

## Välja sätt att legitimera sig
choose-title = Välj hur du vill verifiera din identitet
choose-intro = { $partner } godtar flera sätt. Välj det du har.
choose-in-browser = I din webbläsare
choose-scan = Skanna en QR-kod med appen i din mobil
choose-app = Bekräfta i appen i din mobil
choose-another = Välj ett annat sätt

## Logga in hos en annan tjänst
signin-other-browser-title = Fortsätt där du började
signin-other-browser = Den här inloggningen hör till webbläsaren där den startades. Gå tillbaka till tjänsten du kom från och börja om i den här webbläsaren.
signin-stale-title = Inloggningen har gått ut
signin-stale = Det har gått för lång tid för att slutföra inloggningen. Gå tillbaka till tjänsten du kom från och logga in igen.
