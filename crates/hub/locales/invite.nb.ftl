# Invitasjon på norsk bokmål (e-post og SMS). Samme meldinger som i invite.en.ftl.
invite-subject = { $partner } ber deg bekrefte identiteten din
invite-greeting = Hei,
invite-greeting-name = Hei { $name },
invite-ask = { $partner } ber deg bekrefte identiteten din. Det tar noen minutter: åpne lenken og følg stegene.
invite-button = Bekreft identiteten din
invite-or-open = Eller åpne denne lenken:
invite-until = Lenken virker til { $until }. Den er bare til deg: ikke videresend den.
invite-ignore = Hvis du ikke ventet denne meldingen, kan du se bort fra den.
invite-ignore-support = Hvis du ikke ventet denne meldingen, kan du se bort fra den, eller spørre { $partner } ({ $support }).
invite-on-behalf = Sendt på vegne av { $partner }.
invite-sms = { $partner }: bekreft identiteten din på { $link } (til { $until }). Ikke del lenken.
