package agent_test

import (
	"testing"

	"github.com/ahca/ahca/pkg/agent"
)

// The tools write handoffs, the engine sends them, and the Connect action
// (pkg/twiliovoice) reads them back: one type, one encoding.
func TestHandoffRoundTrip(t *testing.T) {
	for data, want := range map[string]agent.Handoff{
		`{"reason":"transfer","staff":"pharmacy","name":"Jordan"}`: {Reason: agent.HandoffTransfer, Staff: "pharmacy", Name: "Jordan"},
		`{"reason":"emergency"}`:                                   {Reason: agent.HandoffEmergency},
		``:                                                         {},
		`not json`:                                                 {},
		`["transfer"]`:                                             {},
	} {
		got := agent.ParseHandoff(data)
		switch {
		case got != want:
			t.Errorf("ParseHandoff(%q) = %+v; want %+v", data, got, want)
		case want.Reason != "" && got.JSON() != data:
			t.Errorf("JSON() = %s; want %s", got.JSON(), data)
		}
	}
	if !(&agent.Handoff{Reason: agent.HandoffTransfer}).Transfer() || (*agent.Handoff)(nil).Transfer() {
		t.Error("Transfer() is wrong")
	}
}
