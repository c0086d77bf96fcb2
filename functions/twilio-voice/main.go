// Command twilio-voice serves Twilio's Voice webhooks behind the HTTP API:
// POST /twilio/voice, /twilio/connect-action, /twilio/dial-action and
// /twilio/status. Wiring only: the behaviour is in pkg/twiliovoice.
//
// Environment (template.yaml): PUBLIC_BASE_URL, WS_URL,
// TWILIO_AUTH_TOKEN_REF, CONFIG_BUCKET, TABLE_NAME; see voicestack.Config
// (the composition root).
package main

import (
	"os"
	// Business hours are read in each business's time zone; the zone
	// database is embedded so the answer never depends on the image.
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ahca/ahca/pkg/httplambda"
	"github.com/ahca/ahca/pkg/stack"
	"github.com/ahca/ahca/pkg/stack/voicestack"
)

func main() {
	c, err := voicestack.FromEnv(os.Getenv)
	stack.Exit("twilio-voice", err)
	lambda.Start(httplambda.Handler(voicestack.New(c)))
}
