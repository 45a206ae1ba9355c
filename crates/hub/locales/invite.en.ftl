# What an invite says (email and text message). $partner is the name people know the partner
# by, $name the applicant's first name, $until when the link stops working, $link the link.
invite-subject = { $partner } asks you to verify your identity
invite-greeting = Hello,
invite-greeting-name = Hello { $name },
invite-ask = { $partner } asks you to verify your identity. It takes a few minutes: open the link and follow the steps.
invite-button = Verify your identity
invite-or-open = Or open this link:
invite-until = The link works until { $until }. It is meant for you alone: do not forward it.
invite-ignore = If you did not expect this message, you can ignore it.
invite-ignore-support = If you did not expect this message, you can ignore it, or ask { $partner } ({ $support }).
invite-on-behalf = Sent on behalf of { $partner }.
invite-sms = { $partner }: please verify your identity at { $link } (until { $until }). Do not share this link.
