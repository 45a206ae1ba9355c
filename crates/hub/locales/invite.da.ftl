# Invitation på dansk (e-mail og sms). Samme beskeder som i invite.en.ftl.
invite-subject = { $partner } beder dig bekræfte din identitet
invite-greeting = Hej,
invite-greeting-name = Hej { $name },
invite-ask = { $partner } beder dig bekræfte din identitet. Det tager et par minutter: åbn linket og følg trinene.
invite-button = Bekræft din identitet
invite-or-open = Eller åbn dette link:
invite-until = Linket virker indtil { $until }. Det er kun til dig: videresend det ikke.
invite-ignore = Hvis du ikke ventede denne besked, kan du se bort fra den.
invite-ignore-support = Hvis du ikke ventede denne besked, kan du se bort fra den eller spørge { $partner } ({ $support }).
invite-on-behalf = Sendt på vegne af { $partner }.
invite-sms = { $partner }: bekræft din identitet på { $link } (indtil { $until }). Del ikke linket.
