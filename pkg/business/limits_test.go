package business

import (
	"strings"
	"testing"
)

func TestLimitsDefaultsAndOverrides(t *testing.T) {
	s, err := Build("", validTree())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Business("acme")
	if b.Limits != DefaultLimits {
		t.Errorf("limits of a business that sets none = %+v, want the defaults", b.Limits)
	}
	if DefaultLimits.ConnectionsPerSourcePerMinute < 60 || DefaultLimits.PromptsPerMinute < 20 {
		t.Errorf("defaults would bother a real caller: %+v", DefaultLimits)
	}

	tree := validTree()
	set(t, tree, acme, "limits", map[string]any{"bookingsPerConversation": 3, "modelTokensPerDay": 10000})
	s, err = Build("", tree)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = s.Business("acme")
	want := DefaultLimits
	want.BookingsPerConversation, want.ModelTokensPerDay = 3, 10000
	if b.Limits != want {
		t.Errorf("limits = %+v, want %+v", b.Limits, want)
	}
}

func TestLimitsValidated(t *testing.T) {
	for _, tc := range []struct {
		limits map[string]any
		want   string
	}{
		{map[string]any{"promptsPerMinute": 0}, "$.limits.promptsPerMinute: promptsPerMinute 0: want 1 to 600"},
		{map[string]any{"connectionsPerSourcePerMinute": 10}, "connectionsPerSourcePerMinute 10: want 60 to"},
		{map[string]any{"maxOutputTokens": 1.5}, "want a whole number"},
		{map[string]any{"toolCallsPerTurn": "8"}, "$.limits.toolCallsPerTurn"},
	} {
		tree := validTree()
		set(t, tree, acme, "limits", tc.limits)
		_, err := Build("", tree)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("limits %v: error %v, want %q", tc.limits, err, tc.want)
		}
	}
}

func TestLimitsOrDefault(t *testing.T) {
	if (Limits{}).OrDefault() != DefaultLimits {
		t.Error("zero limits do not take the defaults")
	}
	l := Limits{PromptsPerMinute: 5}.OrDefault()
	if l.PromptsPerMinute != 5 || l.MaxOutputTokens != DefaultLimits.MaxOutputTokens {
		t.Errorf("OrDefault = %+v", l)
	}
}
