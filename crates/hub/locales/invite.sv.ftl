# Inbjudan på svenska (e-post och sms). Samma meddelanden som i invite.en.ftl.
invite-subject = { $partner } ber dig bekräfta din identitet
invite-greeting = Hej,
invite-greeting-name = Hej { $name },
invite-ask = { $partner } ber dig bekräfta din identitet. Det tar några minuter: öppna länken och följ stegen.
invite-button = Bekräfta din identitet
invite-or-open = Eller öppna den här länken:
invite-until = Länken fungerar till { $until }. Den är bara till dig: vidarebefordra den inte.
invite-ignore = Om du inte väntade dig det här meddelandet kan du bortse från det.
invite-ignore-support = Om du inte väntade dig det här meddelandet kan du bortse från det, eller fråga { $partner } ({ $support }).
invite-on-behalf = Skickat för { $partner }.
invite-sms = { $partner }: bekräfta din identitet på { $link } (till { $until }). Dela inte länken.
