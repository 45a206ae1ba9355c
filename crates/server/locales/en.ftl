# idgate's hosted pages in English: the reference catalogue. Every other language has the same
# message ids (a test checks it). Variables: $partner is the partner's name as its end users
# know it, $provider the identity provider's name (BankID, Freja eID, ...).

## Every page
page-title = Identity verification
language-label = Language
sandbox-label = Sandbox.
sandbox-note = This is a test environment: no real identity check happens and nothing here is sent to a real provider.
support-contact = Need help? Contact { $partner }:
privacy-policy = Privacy policy of { $partner }
accessibility-statement = Accessibility statement
unknown-partner = The service you came from

## The first page
landing-title = Verify your identity
landing-intro = { $partner } asks you to verify your identity with { $provider }.
landing-retry = Your previous attempt needs to be redone. Please start again.
landing-identifier-label = Your { $provider } identifier
landing-identifier-help = We will send a request to your { $provider } app.
landing-test-identifiers = Test identifiers:
landing-identifier-missing = Enter your identifier.
landing-send-request = Send request to my app
landing-continue = Continue to { $provider }
landing-continue-on-phone = Continue on your phone
landing-cancel = Cancel and go back to { $partner }
landing-expiry = This link is personal. It expires { $expires }.

## Waiting for a decision
waiting-title = Verification in progress
waiting-message = Your information is being checked. This page updates by itself; you can also close it, { $partner } will be told the result.

## Continue on your phone
phone-title = Continue on your phone
phone-intro = Scan this code with your phone's camera to continue your verification for { $partner } there. This page follows along and moves on when you are done.
phone-qr-label = QR code that opens your verification on a phone
phone-cannot-scan = Cannot scan? Open this link on your phone
phone-waiting = Waiting for your phone.
phone-continuing = Continuing on your phone.
phone-link-once = The link works once, for ten minutes.
phone-continue-here = Continue on this device instead
handoff-used-title = This link was already used
handoff-used = A link to continue on a phone works once. Show the code again on your computer to get a new one.
handoff-expired-title = This link has expired
handoff-expired = A link to continue on a phone works for ten minutes. Show the code again on your computer to get a new one.

## QR code and app flows
live-qr-title = Scan with { $provider }
live-push-title = Confirm in { $provider }
live-checking = Your information is being checked. This page updates by itself.
live-qr-scan = Open your { $provider } app and scan the code.
live-qr-scanned = Code scanned by a phone. Confirm in its { $provider } app.
live-push-sent = A request was sent to your { $provider } app. Open it and confirm.
live-push-sent-to = The request went to { $identifier }.
live-qr-label = QR code to scan with your { $provider } app
live-qr-as-text = Cannot scan? Show the code as text
live-check-code = Check that your app shows this code before you confirm:
live-open-app = Open the app on this device
live-simulated-app = Open the simulated phone app
cancel = Cancel
continue = Continue

## Outcomes
outcome-approved-title = You are verified
outcome-approved = Thank you. You can close this page.
outcome-declined-title = Verification not successful
outcome-declined = Your identity could not be verified.
outcome-resubmit-title = Please try again
outcome-resubmit = Your verification could not be completed this time. Open the link you were given again to start once more.
outcome-review-title = Verification in progress
outcome-review = Your information is being checked. You can close this page: { $partner } will be told the result.
outcome-cancelled-title = Verification cancelled
outcome-cancelled = You cancelled the verification.
outcome-cancelled-by-partner = { $partner } cancelled this verification. Ask it for a new link if you still need one.
outcome-expired-title = This link has expired
outcome-expired = Ask { $partner } for a new one.
outcome-unfinished-title = Verification not finished
outcome-unfinished = Open the link you were given again to continue.
back-to-partner = Back to { $partner }

## Errors
not-found-title = Page not found
not-found = There is nothing at this address.
invalid-link-title = This link does not work
invalid-link = The verification link is not valid. Ask the service that sent you for a new one.
tampered = The address was changed or is incomplete, so we cannot continue. Start again from the link you were given.
attempt-expired-title = This sign-in took too long
attempt-expired = Too much time has passed since you started, so we cannot accept it. Open the link you were given again and start once more.
other-browser-title = Continue in the browser where you started
other-browser = This sign-in was started in another browser, or this browser's cookies were cleared, so we cannot accept it here. Open the link you were given again, in this browser, and start once more.
step-done-title = This step is already done
step-done = Your verification has moved on. Open the link you were given again to see where it stands.
failure-title = Something went wrong
failure = We could not continue your verification. Please try again in a moment.
too-many-title = Too many requests
too-many-wait = Please wait { $seconds } seconds, then reload this page.
too-many-attempts = This verification has been tried too many times. Ask the service that sent you for a new link.

## Accessibility statement
a11y-title = Accessibility statement
a11y-intro = These verification pages aim to meet the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA. They work with a keyboard alone and with screen readers, in light and dark mode, at any screen size.
a11y-testing = Every page is checked with the axe-core accessibility engine in a real browser before each release. QR codes can also be shown as text, and progress is announced without reloading the page.
a11y-providers = The identity provider's own pages and apps are outside idgate's control. If something does not work for you, contact the service that sent you here.

## Choosing a way to verify
choose-title = Choose how to verify your identity
choose-intro = { $partner } accepts several ways. Choose the one you have.
choose-in-browser = In your browser
choose-scan = Scan a QR code with the app on your phone
choose-app = Confirm in the app on your phone
choose-another = Choose another way

## Signing in to another service
signin-other-browser-title = Continue where you started
signin-other-browser = This sign-in belongs to the browser where it was started. Go back to the service you came from and start again in this browser.
signin-stale-title = This sign-in has expired
signin-stale = Too much time has passed to finish this sign-in. Go back to the service you came from and sign in again.
