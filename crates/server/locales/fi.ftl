# idgaten verkkosivut suomeksi. Samat viestitunnisteet kuin englanninkielisessä pohjassa (en.ftl).

## Kaikki sivut
page-title = Henkilöllisyyden vahvistaminen
language-label = Kieli
sandbox-label = Testiympäristö.
sandbox-note = Tämä on testiympäristö: henkilöllisyyttä ei oikeasti tarkisteta, eikä mitään lähetetä todelliselle tunnistuspalvelulle.
support-contact = Tarvitsetko apua? Ota yhteyttä palveluun { $partner }:
privacy-policy = Palvelun { $partner } tietosuojaseloste
accessibility-statement = Saavutettavuusseloste
unknown-partner = Palvelu, josta tulit

## Ensimmäinen sivu
landing-title = Vahvista henkilöllisyytesi
landing-intro = { $partner } pyytää sinua vahvistamaan henkilöllisyytesi. Tunnistustapa: { $provider }.
landing-retry = Edellinen yrityksesi on tehtävä uudelleen. Aloita alusta.
landing-identifier-label = Tunnisteesi palvelussa { $provider }
landing-identifier-help = Lähetämme pyynnön sovellukseen { $provider }.
landing-test-identifiers = Testitunnisteet:
landing-identifier-missing = Anna tunnisteesi.
landing-send-request = Lähetä pyyntö sovellukseeni
landing-continue = Jatka palveluun { $provider }
landing-continue-on-phone = Jatka puhelimella
landing-cancel = Peruuta ja palaa palveluun { $partner }
landing-expiry = Linkki on henkilökohtainen. Se on voimassa { $expires } asti.

## Päätöksen odottaminen
waiting-title = Vahvistus käynnissä
waiting-message = Tietojasi tarkistetaan. Tämä sivu päivittyy itsestään. Voit myös sulkea sivun – { $partner } saa tiedon tuloksesta.

## Jatka puhelimella
phone-title = Jatka puhelimella
phone-intro = Skannaa tämä koodi puhelimesi kameralla ja jatka vahvistusta puhelimessa palvelua { $partner } varten. Tämä sivu seuraa etenemistä ja siirtyy eteenpäin, kun olet valmis.
phone-qr-label = QR-koodi, joka avaa vahvistuksen puhelimessa
phone-cannot-scan = Etkö voi skannata? Avaa tämä linkki puhelimellasi
phone-waiting = Odotetaan puhelintasi.
phone-continuing = Vahvistus jatkuu puhelimessasi.
phone-link-once = Linkki toimii kerran ja on voimassa kymmenen minuuttia.
phone-continue-here = Jatka sen sijaan tällä laitteella
handoff-used-title = Linkki on jo käytetty
handoff-used = Linkki puhelimella jatkamiseen toimii vain kerran. Saat uuden linkin, kun näytät koodin uudelleen tietokoneellasi.
handoff-expired-title = Linkki on vanhentunut
handoff-expired = Linkki puhelimella jatkamiseen on voimassa kymmenen minuuttia. Saat uuden linkin, kun näytät koodin uudelleen tietokoneellasi.

## QR-koodi ja sovellus
live-qr-title = Skannaa sovelluksella { $provider }
live-push-title = Hyväksy sovelluksessa { $provider }
live-checking = Tietojasi tarkistetaan. Tämä sivu päivittyy itsestään.
live-qr-scan = Avaa sovellus { $provider } ja skannaa koodi.
live-qr-scanned = Koodi on skannattu puhelimella. Hyväksy puhelimen sovelluksessa { $provider }.
live-push-sent = Sovellukseen { $provider } on lähetetty pyyntö. Avaa sovellus ja hyväksy.
live-push-sent-to = Pyynnön vastaanottaja: { $identifier }.
live-qr-label = QR-koodi, jonka voit skannata sovelluksella { $provider }
live-qr-as-text = Etkö voi skannata? Näytä koodi tekstinä
live-check-code = Tarkista ennen hyväksymistä, että sovelluksesi näyttää tämän koodin:
live-open-app = Avaa sovellus tällä laitteella
live-simulated-app = Avaa simuloitu puhelinsovellus
cancel = Peruuta
continue = Jatka

## Lopputulokset
outcome-approved-title = Henkilöllisyytesi on vahvistettu
outcome-approved = Kiitos. Voit sulkea tämän sivun.
outcome-declined-title = Vahvistus ei onnistunut
outcome-declined = Henkilöllisyyttäsi ei voitu vahvistaa.
outcome-resubmit-title = Yritä uudelleen
outcome-resubmit = Vahvistusta ei voitu tällä kertaa suorittaa loppuun. Aloita alusta avaamalla saamasi linkki uudelleen.
outcome-review-title = Vahvistus käynnissä
outcome-review = Tietojasi tarkistetaan. Voit sulkea tämän sivun: { $partner } saa tiedon tuloksesta.
outcome-cancelled-title = Vahvistus peruttu
outcome-cancelled = Peruit vahvistuksen.
outcome-cancelled-by-partner = { $partner } perui tämän vahvistuksen. Pyydä uusi linkki palvelulta { $partner }, jos tarvitset sitä vielä.
outcome-expired-title = Linkki on vanhentunut
outcome-expired = Pyydä uusi linkki palvelulta { $partner }.
outcome-unfinished-title = Vahvistus on kesken
outcome-unfinished = Jatka avaamalla saamasi linkki uudelleen.
back-to-partner = Palaa palveluun { $partner }

## Virheet
not-found-title = Sivua ei löytynyt
not-found = Tästä osoitteesta ei löydy mitään.
invalid-link-title = Linkki ei toimi
invalid-link = Vahvistuslinkki ei ole kelvollinen. Pyydä uusi linkki palvelulta, josta sinut ohjattiin tänne.
tampered = Osoitetta on muutettu tai se on puutteellinen, joten emme voi jatkaa. Aloita alusta saamastasi linkistä.
attempt-expired-title = Tunnistautuminen kesti liian kauan
attempt-expired = Aloittamisesta on kulunut liian kauan, joten emme voi hyväksyä tunnistautumista. Avaa saamasi linkki uudelleen ja aloita alusta.
other-browser-title = Jatka selaimessa, jossa aloitit
other-browser = Tunnistautuminen aloitettiin toisessa selaimessa tai tämän selaimen evästeet on tyhjennetty, joten emme voi hyväksyä sitä tässä. Avaa saamasi linkki uudelleen tässä selaimessa ja aloita alusta.
step-done-title = Tämä vaihe on jo tehty
step-done = Vahvistuksesi on edennyt. Avaa saamasi linkki uudelleen, niin näet vahvistuksen tilanteen.
failure-title = Jokin meni vikaan
failure = Emme voineet jatkaa vahvistustasi. Yritä hetken kuluttua uudelleen.
too-many-title = Liian monta pyyntöä
too-many-wait = Odota { $seconds } sekuntia ja lataa sitten sivu uudelleen.
too-many-attempts = Vahvistusta on yritetty liian monta kertaa. Pyydä uusi linkki palvelulta, josta sinut ohjattiin tänne.

## Saavutettavuusseloste
a11y-title = Saavutettavuusseloste
a11y-intro = Nämä vahvistussivut pyrkivät täyttämään verkkosisällön saavutettavuusohjeiden (WCAG 2.1) AA-tason vaatimukset. Sivuja voi käyttää pelkällä näppäimistöllä ja ruudunlukuohjelmalla, vaaleassa ja tummassa tilassa sekä kaikenkokoisilla näytöillä.
a11y-testing = Jokainen sivu tarkistetaan ennen jokaista julkaisua oikeassa selaimessa saavutettavuustyökalulla axe-core. QR-koodit voi näyttää myös tekstinä, ja etenemisestä ilmoitetaan lataamatta sivua uudelleen.
a11y-providers = Tunnistuspalvelun omat sivut ja sovellukset eivät ole idgaten hallinnassa. Jos jokin ei toimi, ota yhteyttä palveluun, josta sinut ohjattiin tänne.

## Tunnistustavan valinta
choose-title = Valitse, miten vahvistat henkilöllisyytesi
choose-intro = Palvelu { $partner } hyväksyy useita tapoja. Valitse tapa, joka sinulla on käytössäsi.
choose-in-browser = Selaimessa
choose-scan = Skannaa QR-koodi puhelimesi sovelluksella
choose-app = Hyväksy puhelimesi sovelluksessa
choose-another = Valitse toinen tapa

## Kirjautuminen toiseen palveluun
signin-other-browser-title = Jatka siellä, missä aloitit
signin-other-browser = Tämä kirjautuminen kuuluu selaimeen, jossa se aloitettiin. Palaa palveluun, josta tulit, ja aloita uudelleen tässä selaimessa.
signin-stale-title = Kirjautuminen on vanhentunut
signin-stale = Kirjautumisen viimeistelyyn on kulunut liian kauan. Palaa palveluun, josta tulit, ja kirjaudu uudelleen.
