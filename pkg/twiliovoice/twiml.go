package twiliovoice

import (
	"strconv"

	"github.com/beevik/etree"
	"github.com/twilio/twilio-go/twiml"

	"github.com/ahca/ahca/pkg/business"
)

// The TwiML documents are built with twilio-go's twiml package. Its
// elements keep attributes in maps, so render sorts every element's
// attributes by name: a response is byte-for-byte deterministic, which
// golden files and retried webhooks rely on.

// fallbackTwiML is answered if a document cannot be rendered at all.
const fallbackTwiML = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response>\n  <Hangup/>\n</Response>\n"

func render(verbs ...twiml.Element) string {
	doc, resp := twiml.CreateDocument()
	twiml.AddAllVerbs(resp, verbs)
	sortAttrs(resp)
	doc.Indent(2)
	s, err := twiml.ToXML(doc)
	if err != nil {
		return fallbackTwiML
	}
	return s
}

func sortAttrs(e *etree.Element) {
	e.SortAttrs()
	for _, c := range e.ChildElements() {
		sortAttrs(c)
	}
}

// SayHangup is <Say>text</Say><Hangup/>. language (e.g. en-US) may be "".
func SayHangup(language, text string) string {
	return render(twiml.VoiceSay{Message: text, Language: language}, twiml.VoiceHangup{})
}

// HangupTwiML is <Hangup/> alone.
func HangupTwiML() string { return render(twiml.VoiceHangup{}) }

// Param is a ConversationRelay <Parameter>; Twilio passes it to the
// WebSocket in setup.customParameters.
type Param struct{ Name, Value string }

// Relay is a <Connect action=…><ConversationRelay …> document: the call
// talks to our WebSocket until we send `end`, then Twilio requests Action.
type Relay struct {
	Action   string // the Connect action URL: {public}/twilio/connect-action
	URL      string // the WebSocket URL (RelayURL)
	Greeting string // welcomeGreeting, spoken by Twilio when the socket opens
	Voice    business.Voice
	// DTMF turns on dtmfDetection (emergency # transfers).
	DTMF   bool
	Params []Param
}

// TwiML renders the document.
func (r Relay) TwiML() string {
	cr := twiml.VoiceConversationRelay{
		Url:                          r.URL,
		WelcomeGreeting:              r.Greeting,
		Language:                     r.Voice.Language,
		TtsProvider:                  r.Voice.TTSProvider,
		Voice:                        r.Voice.Voice,
		TranscriptionProvider:        r.Voice.TranscriptionProvider,
		SpeechModel:                  r.Voice.SpeechModel,
		Interruptible:                "any",
		WelcomeGreetingInterruptible: "any",
	}
	if r.DTMF {
		cr.DtmfDetection = "true"
	}
	for _, p := range r.Params {
		cr.InnerElements = append(cr.InnerElements, twiml.VoiceParameter{Name: p.Name, Value: p.Value})
	}
	return render(twiml.VoiceConnect{Action: r.Action, InnerElements: []twiml.Element{cr}})
}

// Dial is a <Dial> to one number. With Action set, Twilio requests it when
// the dialled leg ends (DialCallStatus says how), and the rest of the call
// follows the TwiML it returns.
type Dial struct {
	Number   string
	CallerID string // "" leaves Twilio's default (the caller's number)
	Timeout  int    // seconds to ring; 0 leaves Twilio's default (30)
	Action   string
}

// TwiML renders the document.
func (d Dial) TwiML() string {
	v := twiml.VoiceDial{Number: d.Number, CallerId: d.CallerID, Action: d.Action}
	if d.Timeout > 0 {
		v.Timeout = strconv.Itoa(d.Timeout)
	}
	return render(v)
}

// Gather is a <Gather> of one key press while text is said, then <Hangup/>
// when no key was pressed. Twilio requests Action with Digits.
type Gather struct {
	Action   string
	Language string
	Text     string
	Timeout  int // seconds to wait after the text; 0 leaves Twilio's default (5)
}

// TwiML renders the document. The finish key is "*" so that "#" is
// collected as the key pressed rather than ending the input (an empty
// finishOnKey cannot be written: the twiml package drops empty attributes).
func (g Gather) TwiML() string {
	v := twiml.VoiceGather{
		Input: "dtmf", NumDigits: "1", FinishOnKey: "*", Action: g.Action,
		InnerElements: []twiml.Element{twiml.VoiceSay{Message: g.Text, Language: g.Language}},
	}
	if g.Timeout > 0 {
		v.Timeout = strconv.Itoa(g.Timeout)
	}
	return render(v, twiml.VoiceHangup{})
}
