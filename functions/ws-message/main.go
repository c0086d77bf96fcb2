// Command ws-message is the WebSocket API's $default route: one turn. Wiring
// only: the behaviour is in pkg/wsapi and pkg/conversation, the construction
// in pkg/stack/wsstack and pkg/stack/turnstack (the composition root). It is
// the one WebSocket function that links the OpenAI client and the tools.
//
// Environment (template.yaml): TABLE_NAME, CONFIG_BUCKET, WEB_ORIGIN,
// WS_URL, TWILIO_AUTH_TOKEN_REF, OPENAI_API_KEY_REF (unset: the scripted
// agent answers), OPENAI_BASE_URL, OPENAI_MODEL, TWILIO_ACCOUNT_SID,
// TWILIO_SMS_FROM, TWILIO_MESSAGING_SERVICE_SID; see wsstack.Config and
// turnstack.Config. Secrets are resolved on the first turn that needs
// them, never at init.
package main

import "github.com/ahca/ahca/pkg/stack/turnstack"

func main() { turnstack.Start("ws-message") }
