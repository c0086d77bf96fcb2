// Command twilio-voice serves Twilio's Voice webhooks behind the HTTP API:
// POST /twilio/voice, /twilio/connect-action, /twilio/dial-action and
// /twilio/status. Wiring only: the behaviour is in pkg/twiliovoice, the
// construction in pkg/stack/voicestack (the composition root).
//
// Environment (template.yaml): PUBLIC_BASE_URL, WS_URL,
// TWILIO_AUTH_TOKEN_REF, CONFIG_BUCKET, TABLE_NAME; see voicestack.Config.
package main

import "github.com/ahca/ahca/pkg/stack/voicestack"

func main() { voicestack.Start("twilio-voice") }
