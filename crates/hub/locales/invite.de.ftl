# Einladung auf Deutsch (E-Mail und SMS). Dieselben Nachrichten wie in invite.en.ftl.
invite-subject = { $partner } bittet Sie, Ihre Identität zu bestätigen
invite-greeting = Guten Tag,
invite-greeting-name = Guten Tag { $name },
invite-ask = { $partner } bittet Sie, Ihre Identität zu bestätigen. Das dauert wenige Minuten: Öffnen Sie den Link und folgen Sie den Schritten.
invite-button = Identität bestätigen
invite-or-open = Oder öffnen Sie diesen Link:
invite-until = Der Link gilt bis { $until }. Er ist nur für Sie bestimmt: Bitte leiten Sie ihn nicht weiter.
invite-ignore = Wenn Sie diese Nachricht nicht erwartet haben, können Sie sie ignorieren.
invite-ignore-support = Wenn Sie diese Nachricht nicht erwartet haben, können Sie sie ignorieren oder sich an { $partner } wenden ({ $support }).
invite-on-behalf = Gesendet im Auftrag von { $partner }.
invite-sms = { $partner }: Bitte bestätigen Sie Ihre Identität unter { $link } (bis { $until }). Teilen Sie diesen Link nicht.
