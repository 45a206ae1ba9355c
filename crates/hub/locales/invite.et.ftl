# Kutse eesti keeles (e-kiri ja tekstisõnum). Samad sõnumid nagu failis invite.en.ftl.
invite-subject = { $partner } palub sul oma isik tuvastada
invite-greeting = Tere
invite-greeting-name = Tere, { $name }
invite-ask = { $partner } palub sul oma isik tuvastada. See võtab mõne minuti: ava link ja järgi juhiseid.
invite-button = Tuvasta oma isik
invite-or-open = Või ava see link:
invite-until = Link kehtib kuni { $until }. See on mõeldud ainult sulle: ära saada seda edasi.
invite-ignore = Kui sa seda sõnumit ei oodanud, võid selle tähelepanuta jätta.
invite-ignore-support = Kui sa seda sõnumit ei oodanud, võid selle tähelepanuta jätta või küsida teenuselt { $partner } ({ $support }).
invite-on-behalf = Saadetud teenuse { $partner } nimel.
invite-sms = { $partner }: tuvasta oma isik aadressil { $link } (kuni { $until }). Ära jaga seda linki.
