package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantType string
		wantCode string
	}{
		{"setup web", `{"type":"setup"}`, TypeSetup, ""},
		{"setup twilio", `{"type":"setup","sessionId":"VX1","callSid":"CA1","from":"+15035550100","to":"+15035550142","direction":"inbound","customParameters":{"businessId":"acme"}}`, TypeSetup, ""},
		{"prompt", `{"type":"prompt","voicePrompt":" hello ","lang":"en-US","last":true}`, TypePrompt, ""},
		{"interrupt", `{"type":"interrupt","utteranceUntilInterrupt":"Thanks for","durationUntilInterruptMs":800}`, TypeInterrupt, ""},
		{"dtmf", `{"type":"dtmf","digit":"#"}`, TypeDTMF, ""},
		{"info", `{"type":"info","name":"x","value":1}`, TypeInfo, ""},
		{"error", `{"type":"error","description":"tts failed"}`, TypeError, ""},
		{"restart", `{"type":"restart"}`, TypeRestart, ""},
		{"not json", `hello`, "", CodeBadFrame},
		{"array", `[1,2]`, "", CodeBadFrame},
		{"two objects", `{"type":"setup"}{"type":"setup"}`, "", CodeBadFrame},
		{"no type", `{"voicePrompt":"hi"}`, "", CodeMissingField},
		{"unknown type", `{"type":"dance"}`, "", CodeUnknownType},
		{"empty prompt", `{"type":"prompt","voicePrompt":"   "}`, "", CodeMissingField},
		{"prompt wrong type", `{"type":"prompt","voicePrompt":5}`, "", CodeBadFrame},
		{"long prompt", `{"type":"prompt","voicePrompt":"` + strings.Repeat("a", MaxPromptRunes+1) + `"}`, "", CodeTooLarge},
		{"huge frame", `{"type":"prompt","voicePrompt":"` + strings.Repeat("a", MaxFrameBytes) + `"}`, "", CodeTooLarge},
		{"bad digit", `{"type":"dtmf","digit":"12"}`, "", CodeMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if tt.wantCode != "" {
				if err == nil || err.Code != tt.wantCode {
					t.Fatalf("Parse = %+v, %v; want code %s", f, err, tt.wantCode)
				}
				if err.Message == "" {
					t.Error("error without a message")
				}
				return
			}
			if err != nil || f.Type != tt.wantType {
				t.Fatalf("Parse = %+v, %v; want type %s", f, err, tt.wantType)
			}
		})
	}
}

func TestParseTrimsPrompt(t *testing.T) {
	f, err := Parse([]byte(`{"type":"prompt","voicePrompt":"  hi there \n"}`))
	if err != nil || f.VoicePrompt != "hi there" {
		t.Fatalf("got %q, %v", f.VoicePrompt, err)
	}
}

// An error frame repeats at most MaxEchoRunes characters of what the
// client sent (issue 13: a 30 KB type was echoed back whole).
func TestParseClipsEchoedInput(t *testing.T) {
	for _, in := range []string{
		`{"type":"` + strings.Repeat("é", MaxFrameBytes/4) + `"}`,
		`{"type":"dtmf","digit":"` + strings.Repeat("9", MaxFrameBytes/2) + `"}`,
	} {
		_, err := Parse([]byte(in))
		if err == nil {
			t.Fatalf("Parse(%.40s…) accepted", in)
		}
		if n := utf8.RuneCountInString(err.Message); n > MaxEchoRunes+100 {
			t.Errorf("%s message is %d characters: %.80s…", err.Code, n, err.Message)
		}
		if !strings.Contains(err.Message, "…") || !utf8.ValidString(err.Message) {
			t.Errorf("%s message not clipped cleanly: %.80s…", err.Code, err.Message)
		}
	}
	_, err := Parse([]byte(`{"type":"dance"}`))
	if err == nil || !strings.Contains(err.Message, `"dance"`) || strings.Contains(err.Message, "…") {
		t.Errorf("short type clipped: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"type":"setup"}`, `{"type":"prompt","voicePrompt":"hi"}`, `{"type":"dtmf","digit":"#"}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Parse(data)
		if (fr == nil) == (err == nil) {
			t.Fatalf("Parse returned frame %v and error %v", fr, err)
		}
	})
}
