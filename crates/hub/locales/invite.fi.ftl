# Kutsu suomeksi (sähköposti ja tekstiviesti). Samat viestit kuin tiedostossa invite.en.ftl.
invite-subject = { $partner } pyytää sinua vahvistamaan henkilöllisyytesi
invite-greeting = Hei,
invite-greeting-name = Hei { $name },
invite-ask = { $partner } pyytää sinua vahvistamaan henkilöllisyytesi. Se vie muutaman minuutin: avaa linkki ja seuraa ohjeita.
invite-button = Vahvista henkilöllisyytesi
invite-or-open = Tai avaa tämä linkki:
invite-until = Linkki toimii { $until } asti. Se on tarkoitettu vain sinulle: älä välitä sitä eteenpäin.
invite-ignore = Jos et odottanut tätä viestiä, voit jättää sen huomiotta.
invite-ignore-support = Jos et odottanut tätä viestiä, voit jättää sen huomiotta tai kysyä palvelulta { $partner } ({ $support }).
invite-on-behalf = Lähetetty palvelun { $partner } puolesta.
invite-sms = { $partner }: vahvista henkilöllisyytesi osoitteessa { $link } ({ $until } asti). Älä jaa linkkiä.
