package agent_test

import (
	"testing"

	"github.com/ahca/ahca/pkg/agent"
)

// The tools write handoffs, the engine sends them, and the Connect action
// (pkg/twiliovoice) reads them back: one type, one encoding.
func TestHandoffRoundTrip(t *testing.T) {
	tests := []struct {
		data string
		want agent.Handoff
	}{
		{`{"reason":"transfer","staff":"pharmacy","name":"Jordan"}`, agent.Handoff{Reason: "transfer", Staff: "pharmacy", Name: "Jordan"}},
		{`{"reason":"emergency"}`, agent.Handoff{Reason: "emergency"}},
		{``, agent.Handoff{}},
		{`not json`, agent.Handoff{}},
		{`["transfer"]`, agent.Handoff{}},
	}
	for _, tt := range tests {
		got := agent.ParseHandoff(tt.data)
		if got != tt.want {
			t.Errorf("ParseHandoff(%q) = %+v; want %+v", tt.data, got, tt.want)
		}
		if tt.want.Reason != "" && got.JSON() != tt.data {
			t.Errorf("JSON() = %s; want %s", got.JSON(), tt.data)
		}
	}
	if (&agent.Handoff{Reason: agent.HandoffTransfer}).Transfer() == false || (*agent.Handoff)(nil).Transfer() {
		t.Error("Transfer() wrong")
	}
}
