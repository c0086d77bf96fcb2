package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/ahca/ahca/pkg/twiliovoice"
)

const callAbout = `Runs one call against ahca dev (or a deployed stage): the signed voice webhook, the TwiML it
returns, the signed ConversationRelay WebSocket with the caller's lines, the Connect action after the
agent ends, the Dial action with --dial-outcome, and the final status callback. It prints what the
caller hears and every TwiML response. In the script (or on stdin) "#" and digits are key presses and
"pause 2s" waits.
`

func callSetup(fs *flag.FlagSet) action {
	base := fs.String("url", "http://"+devAddr(), "public base `URL` of the Twilio webhooks")
	to := fs.String("to", "", "the business `number` dialled (E.164)")
	from := fs.String("from", "+15035550199", "the caller's `number`")
	token := fs.String("token", "", "Twilio auth `token` to sign with (default: TWILIO_AUTH_TOKEN, else ahca dev's development token)")
	script := fs.String("script", "", "`file` of caller lines (default: stdin)")
	dial := fs.String("dial-outcome", "completed", "`outcome` of transfers (DialCallStatus): completed, no-answer, busy or failed")
	return func(ctx context.Context, inv *invocation) int {
		if *token == "" {
			*token = devTwilioToken()
		}
		sim := &callSim{base: strings.TrimSuffix(*base, "/"), token: *token, to: *to, from: *from, dial: *dial, out: inv.stdout}
		return callCommand(ctx, inv, sim, *script)
	}
}

// callCommand simulates Twilio for one call (see callAbout).
func callCommand(ctx context.Context, inv *invocation, sim *callSim, script string) int {
	var in io.Reader = inv.stdin
	if script != "" {
		data, err := os.ReadFile(script)
		if err != nil {
			return inv.usageError("--script: %v", err)
		}
		in = bytes.NewReader(data)
	}
	sim.lines = bufio.NewScanner(in)
	if err := sim.run(ctx); err != nil {
		if isRefused(err) {
			return inv.failf(exitFailed, "%s", notListening(refusedOrigin(err, sim.base)))
		}
		return inv.failf(exitFailed, "%v", err)
	}
	return exitOK
}

type callSim struct {
	base, token, to, from, dial string
	callSID                     string
	out                         io.Writer
	lines                       *bufio.Scanner
	heard                       []string // agent replies, for tests
}

// twiml is the subset of TwiML the simulator follows.
type twiml struct {
	Says    []string  `xml:"Say"`
	Hangup  *struct{} `xml:"Hangup"`
	Connect *struct {
		Action string `xml:"action,attr"`
		Relay  struct {
			URL     string `xml:"url,attr"`
			Welcome string `xml:"welcomeGreeting,attr"`
		} `xml:"ConversationRelay"`
	} `xml:"Connect"`
	Dial *struct {
		Action string `xml:"action,attr"`
		Number string `xml:",chardata"`
	} `xml:"Dial"`
	// Gather asks for a key press (after hours: # for the on-call line).
	Gather *struct {
		Action string   `xml:"action,attr"`
		Says   []string `xml:"Say"`
	} `xml:"Gather"`
}

func (c *callSim) run(ctx context.Context) error {
	var b [16]byte
	_, _ = rand.Read(b[:])
	c.callSID = "CA" + hex.EncodeToString(b[:])
	fmt.Fprintf(c.out, "call %s from %s to %s\n", c.callSID, c.from, c.to)
	doc, err := c.webhook(ctx, c.base+"/twilio/voice", map[string]string{"Direction": "inbound", "CallStatus": "ringing"})
	for err == nil {
		for _, s := range doc.Says {
			fmt.Fprintf(c.out, "twilio says: %s\n", s)
		}
		switch {
		case doc.Connect != nil:
			var handoff string
			handoff, err = c.relay(ctx, doc.Connect.Relay.URL, doc.Connect.Relay.Welcome)
			if err != nil {
				return err
			}
			doc, err = c.webhook(ctx, doc.Connect.Action, map[string]string{"HandoffData": handoff, "CallStatus": "in-progress"})
		case doc.Dial != nil:
			fmt.Fprintf(c.out, "twilio dials %s → %s\n", strings.TrimSpace(doc.Dial.Number), c.dial)
			doc, err = c.webhook(ctx, doc.Dial.Action, map[string]string{"DialCallStatus": c.dial, "CallStatus": "in-progress"})
		case doc.Gather != nil:
			for _, say := range doc.Gather.Says {
				fmt.Fprintf(c.out, "twilio says: %s\n", say)
			}
			// The caller's next line answers: a key press is gathered,
			// anything else (or no line) lets the call go on as TwiML says.
			if key, ok := c.keyPress(); ok {
				fmt.Fprintf(c.out, "caller presses %s\n", key)
				doc, err = c.webhook(ctx, doc.Gather.Action, map[string]string{"Digits": key, "CallStatus": "in-progress"})
				continue
			}
			doc = &twiml{} // no key: the call ends as the TwiML goes on
		default:
			fmt.Fprintln(c.out, "twilio hangs up")
			_, err = c.webhook(ctx, c.base+"/twilio/status", map[string]string{"CallStatus": "completed", "CallDuration": "60"})
			return err
		}
	}
	return err
}

// keyPress reads the caller's next line when it is key presses ("#",
// digits); a spoken line or none is no key press.
func (c *callSim) keyPress() (string, bool) {
	if !c.lines.Scan() {
		return "", false
	}
	line := strings.TrimSpace(c.lines.Text())
	if line == "" || strings.Trim(line, "0123456789*#") != "" {
		return "", false
	}
	return line, true
}

// webhook POSTs a signed Twilio request and parses the TwiML answer.
func (c *callSim) webhook(ctx context.Context, url string, extra map[string]string) (*twiml, error) {
	params := map[string]string{"AccountSid": devTwilioAccount, "CallSid": c.callSID, "From": c.from, "To": c.to, "Caller": c.from, "Called": c.to}
	for k, v := range extra {
		params[k] = v
	}
	req, err := twiliovoice.SignedRequest(ctx, c.token, url, params)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(c.out, "POST %s → %d\n%s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	if strings.Contains(url, "/twilio/status") {
		return nil, nil
	}
	var doc twiml
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("TwiML from %s: %w", url, err)
	}
	return &doc, nil
}

// relay runs one ConversationRelay leg; it returns the handoff data of the
// agent's `end`, or "" when the caller ran out of lines.
func (c *callSim) relay(ctx context.Context, url, welcome string) (string, error) {
	fmt.Fprintf(c.out, "agent (welcome): %s\n", welcome)
	c.heard = append(c.heard, welcome)
	hdr := http.Header{}
	hdr.Set(twiliovoice.SignatureHeader, twiliovoice.Sign(c.token, url, nil))
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		if resp != nil {
			return "", fmt.Errorf("relay handshake refused: %d", resp.StatusCode)
		}
		return "", err
	}
	defer ws.CloseNow()
	// One reader for the leg: a Read with a deadline would close the socket.
	frames := make(chan []byte, 64)
	readErr := make(chan error, 1)
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				readErr <- err
				close(frames)
				return
			}
			frames <- data
		}
	}()
	setup, _ := json.Marshal(map[string]any{"type": "setup", "sessionId": "VX" + c.callSID[2:], "callSid": c.callSID, "from": c.from, "to": c.to, "direction": "inbound"})
	if err := ws.Write(ctx, websocket.MessageText, setup); err != nil {
		return "", err
	}
	for c.lines.Scan() {
		line := strings.TrimSpace(c.lines.Text())
		var frame []byte
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "pause "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "pause "))
			if err != nil {
				return "", fmt.Errorf("script line %q: %v", line, err)
			}
			time.Sleep(d)
			continue
		case len(line) == 1 && strings.Contains("0123456789#*", line):
			frame, _ = json.Marshal(map[string]string{"type": "dtmf", "digit": line})
		default:
			frame, _ = json.Marshal(map[string]any{"type": "prompt", "voicePrompt": line, "lang": "en-US", "last": true})
		}
		fmt.Fprintf(c.out, "caller: %s\n", line)
		if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
			return "", err
		}
		reply, handoff, err := c.readReply(frames, readErr)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(c.out, "agent: %s\n", reply)
		c.heard = append(c.heard, reply)
		if handoff != "" {
			fmt.Fprintf(c.out, "relay ends: %s\n", handoff)
			return handoff, nil
		}
	}
	ws.Close(websocket.StatusNormalClosure, "caller hung up")
	return "", nil
}

// readReply reads one reply (until last:true); when an `end` follows it,
// its handoff data is returned too.
func (c *callSim) readReply(frames <-chan []byte, readErr <-chan error) (string, string, error) {
	var text strings.Builder
	done := false
	for {
		var data []byte
		var open bool
		if done { // after the reply, wait briefly for an `end`
			select {
			case data, open = <-frames:
			case <-time.After(300 * time.Millisecond):
				return text.String(), "", nil
			}
		} else {
			data, open = <-frames
		}
		if !open {
			if done {
				return text.String(), "", nil
			}
			return "", "", fmt.Errorf("relay: %w", <-readErr)
		}
		var f struct {
			Type, Token, HandoffData, Code, Message string
			Last                                    bool
		}
		if err := json.Unmarshal(data, &f); err != nil {
			return "", "", fmt.Errorf("relay sent %q: %w", data, err)
		}
		switch f.Type {
		case "text":
			text.WriteString(f.Token)
			done = done || f.Last
		case "end":
			if f.HandoffData == "" {
				f.HandoffData = "{}"
			}
			return text.String(), f.HandoffData, nil
		case "error":
			return "", "", errors.New("relay error " + f.Code + ": " + f.Message)
		default:
			return "", "", fmt.Errorf("relay sent a frame Twilio does not know: %s", strconv.Quote(string(data)))
		}
	}
}
