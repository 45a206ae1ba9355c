# idgate veebilehed eesti keeles. Samad sõnumite tunnused nagu ingliskeelses põhifailis (en.ftl).

## Kõik lehed
page-title = Isikutuvastus
language-label = Keel
sandbox-label = Testkeskkond.
sandbox-note = See on testkeskkond: tegelikku isikutuvastust ei toimu ja siit ei saadeta midagi päris teenusepakkujale.
support-contact = Vajad abi? Võta ühendust teenusega { $partner }:
privacy-policy = Teenuse { $partner } privaatsuspoliitika
accessibility-statement = Ligipääsetavuse teatis
unknown-partner = Teenus, kust sa tulid

## Esimene leht
landing-title = Tuvasta oma isik
landing-intro = { $partner } palub sul oma isik tuvastada. Tuvastusviis: { $provider }.
landing-retry = Eelmine katse tuleb uuesti teha. Palun alusta otsast peale.
landing-identifier-label = Sinu { $provider } tunnus
landing-identifier-help = Saadame päringu sinu { $provider } rakendusse.
landing-test-identifiers = Testtunnused:
landing-identifier-missing = Sisesta oma tunnus.
landing-send-request = Saada päring minu rakendusse
landing-continue = Liigu edasi teenusesse { $provider }
landing-continue-on-phone = Jätka telefonis
landing-cancel = Tühista ja naase teenusesse { $partner }
landing-expiry = See link on isiklik. Link kehtib kuni { $expires }.

## Otsuse ootamine
waiting-title = Tuvastamine on pooleli
waiting-message = Sinu andmeid kontrollitakse. See leht uueneb ise. Võid lehe ka sulgeda – { $partner } saab tulemusest teada.

## Jätka telefonis
phone-title = Jätka telefonis
phone-intro = Skanni see kood oma telefoni kaameraga, et jätkata telefonis isikutuvastust teenuse { $partner } jaoks. See leht jälgib edenemist ja liigub edasi, kui oled lõpetanud.
phone-qr-label = QR-kood, mis avab tuvastamise telefonis
phone-cannot-scan = Ei saa skannida? Ava see link oma telefonis
phone-waiting = Ootame sinu telefoni.
phone-continuing = Tuvastamine jätkub sinu telefonis.
phone-link-once = Link töötab ühe korra ja kehtib kümme minutit.
phone-continue-here = Jätka hoopis selles seadmes
handoff-used-title = See link on juba kasutatud
handoff-used = Telefonis jätkamise link töötab ainult ühe korra. Uue lingi saamiseks näita koodi arvutis uuesti.
handoff-expired-title = See link on aegunud
handoff-expired = Telefonis jätkamise link kehtib kümme minutit. Uue lingi saamiseks näita koodi arvutis uuesti.

## QR-kood ja rakendus
live-qr-title = Skanni { $provider } rakendusega
live-push-title = Kinnita { $provider } rakenduses
live-checking = Sinu andmeid kontrollitakse. See leht uueneb ise.
live-qr-scan = Ava oma { $provider } rakendus ja skanni kood.
live-qr-scanned = Telefon skannis koodi. Kinnita selle telefoni { $provider } rakenduses.
live-push-sent = Sinu { $provider } rakendusse saadeti päring. Ava rakendus ja kinnita.
live-push-sent-to = Päringu saaja: { $identifier }.
live-qr-label = QR-kood, mida skannida oma { $provider } rakendusega
live-qr-as-text = Ei saa skannida? Näita koodi tekstina
live-check-code = Enne kinnitamist kontrolli, et rakendus näitab seda koodi:
live-open-app = Ava rakendus selles seadmes
live-simulated-app = Ava simuleeritud telefonirakendus
cancel = Tühista
continue = Jätka

## Tulemused
outcome-approved-title = Sinu isik on tuvastatud
outcome-approved = Aitäh! Võid selle lehe sulgeda.
outcome-declined-title = Tuvastamine ebaõnnestus
outcome-declined = Sinu isikut ei õnnestunud tuvastada.
outcome-resubmit-title = Palun proovi uuesti
outcome-resubmit = Tuvastamist ei õnnestunud seekord lõpule viia. Ava sulle antud link uuesti ja alusta otsast peale.
outcome-review-title = Tuvastamine on pooleli
outcome-review = Sinu andmeid kontrollitakse. Võid selle lehe sulgeda: { $partner } saab tulemusest teada.
outcome-cancelled-title = Tuvastamine on tühistatud
outcome-cancelled = Sa tühistasid tuvastamise.
outcome-cancelled-by-partner = { $partner } tühistas selle tuvastamise. Kui vajad ikka veel linki, küsi uus link teenuselt { $partner }.
outcome-expired-title = See link on aegunud
outcome-expired = Küsi uus link teenuselt { $partner }.
outcome-unfinished-title = Tuvastamine on lõpetamata
outcome-unfinished = Jätkamiseks ava sulle antud link uuesti.
back-to-partner = Tagasi teenusesse { $partner }

## Vead
not-found-title = Lehte ei leitud
not-found = Sellel aadressil ei ole midagi.
invalid-link-title = See link ei tööta
invalid-link = Tuvastamise link ei ole kehtiv. Küsi uus link teenuselt, mis sind siia suunas.
tampered = Aadressi on muudetud või see on puudulik, seega ei saa me jätkata. Alusta uuesti sulle antud lingist.
attempt-expired-title = Sisselogimine võttis liiga kaua aega
attempt-expired = Alustamisest on möödunud liiga palju aega, seega ei saa me sisselogimist vastu võtta. Ava sulle antud link uuesti ja alusta otsast peale.
other-browser-title = Jätka brauseris, kus alustasid
other-browser = Sisselogimist alustati teises brauseris või on selle brauseri küpsised kustutatud, seega ei saa me seda siin vastu võtta. Ava sulle antud link uuesti selles brauseris ja alusta otsast peale.
step-done-title = See samm on juba tehtud
step-done = Sinu tuvastamine on edasi liikunud. Ava sulle antud link uuesti, et näha, mis seisus see on.
failure-title = Midagi läks valesti
failure = Me ei saanud tuvastamist jätkata. Palun proovi mõne aja pärast uuesti.
too-many-title = Liiga palju päringuid
too-many-wait = Palun oota { $seconds } sekundit ja laadi seejärel leht uuesti.
too-many-attempts = Seda tuvastamist on proovitud liiga palju kordi. Küsi uus link teenuselt, mis sind siia suunas.

## Ligipääsetavuse teatis
a11y-title = Ligipääsetavuse teatis
a11y-intro = Need tuvastamise lehed püüavad vastata veebisisu ligipääsetavuse suuniste WCAG 2.1 AA-taseme nõuetele. Lehti saab kasutada ainult klaviatuuriga ja ekraanilugejaga, heledas ja tumedas režiimis ning igas ekraanisuuruses.
a11y-testing = Iga lehte kontrollitakse enne iga väljalaset päris brauseris ligipääsetavuse tööriistaga axe-core. QR-koode saab näidata ka tekstina ning edenemisest antakse teada ilma lehte uuesti laadimata.
a11y-providers = Isikutuvastuse teenusepakkuja enda lehti ja rakendusi idgate ei halda. Kui miski ei tööta, võta ühendust teenusega, mis sind siia suunas.

## Tuvastamisviisi valimine
choose-title = Vali, kuidas oma isikut tuvastada
choose-intro = Teenus { $partner } võimaldab mitut viisi. Vali see, mis sul olemas on.
choose-in-browser = Veebilehitsejas
choose-scan = Skanni QR-kood oma telefoni rakendusega
choose-app = Kinnita oma telefoni rakenduses
choose-another = Vali muu viis

## Teise teenusesse sisselogimine
signin-other-browser-title = Jätka seal, kus alustasid
signin-other-browser = See sisselogimine kuulub veebilehitsejale, milles see alustati. Mine tagasi teenusesse, kust tulid, ja alusta uuesti selles veebilehitsejas.
signin-stale-title = Sisselogimine on aegunud
signin-stale = Sisselogimise lõpetamiseks on möödunud liiga palju aega. Mine tagasi teenusesse, kust tulid, ja logi uuesti sisse.
