package business

// Limits bound what one anonymous visitor, one conversation and one
// business can cost or trigger (issue 13). Every field has a default that a
// real caller never meets (a two-hour call speaks about ten times a
// minute); a business's config.json may override any of them under
// "limits". Zero never means "unlimited": an unset field takes its default.
type Limits struct {
	// Per conversation.
	PromptsPerMinute            int `json:"promptsPerMinute"`            // caller utterances in any one minute
	PromptsPerConversation      int `json:"promptsPerConversation"`      // caller utterances in all
	ModelRoundsPerTurn          int `json:"modelRoundsPerTurn"`          // model requests one utterance may cause
	ToolCallsPerTurn            int `json:"toolCallsPerTurn"`            // tool calls run for one utterance
	MaxOutputTokens             int `json:"maxOutputTokens"`             // output cap of every model request
	BookingsPerConversation     int `json:"bookingsPerConversation"`     // appointments one conversation may book
	SMSPerConversation          int `json:"smsPerConversation"`          // texts to staff one conversation may cause
	CallerCopiesPerConversation int `json:"callerCopiesPerConversation"` // copies of the summary to the caller
	// Per business.
	ModelTokensPerDay              int `json:"modelTokensPerDay"`              // model tokens (in + out) per UTC day, then the scripted agent answers
	ConversationsPerDay            int `json:"conversationsPerDay"`            // new conversations per UTC day, then the scripted agent answers
	SMSPerBusinessPerHour          int `json:"smsPerBusinessPerHour"`          // texts to staff per clock hour
	CallerCopiesPerBusinessPerHour int `json:"callerCopiesPerBusinessPerHour"` // caller copies per clock hour
	// Per source address, at $connect.
	ConnectionsPerSourcePerMinute int `json:"connectionsPerSourcePerMinute"`
}

// DefaultLimits are the limits of a business that sets none.
var DefaultLimits = Limits{
	PromptsPerMinute:            30,
	PromptsPerConversation:      1500,
	ModelRoundsPerTurn:          4,
	ToolCallsPerTurn:            8,
	MaxOutputTokens:             400,
	BookingsPerConversation:     1,
	SMSPerConversation:          2,
	CallerCopiesPerConversation: 1,

	ModelTokensPerDay:              3_000_000,
	ConversationsPerDay:            2000,
	SMSPerBusinessPerHour:          30,
	CallerCopiesPerBusinessPerHour: 30,

	ConnectionsPerSourcePerMinute: 120,
}

// limitField is one field of Limits: its JSON name, the smallest and largest
// value a config may give, and where it lives.
type limitField struct {
	name     string
	min, max int
	ptr      func(*Limits) *int
}

var limitFields = []limitField{
	{"promptsPerMinute", 1, 600, func(l *Limits) *int { return &l.PromptsPerMinute }},
	{"promptsPerConversation", 1, 100_000, func(l *Limits) *int { return &l.PromptsPerConversation }},
	{"modelRoundsPerTurn", 1, 16, func(l *Limits) *int { return &l.ModelRoundsPerTurn }},
	{"toolCallsPerTurn", 1, 64, func(l *Limits) *int { return &l.ToolCallsPerTurn }},
	{"maxOutputTokens", 16, 16_384, func(l *Limits) *int { return &l.MaxOutputTokens }},
	{"bookingsPerConversation", 0, 20, func(l *Limits) *int { return &l.BookingsPerConversation }},
	{"smsPerConversation", 0, 20, func(l *Limits) *int { return &l.SMSPerConversation }},
	{"callerCopiesPerConversation", 0, 1, func(l *Limits) *int { return &l.CallerCopiesPerConversation }},
	{"modelTokensPerDay", 0, 1_000_000_000, func(l *Limits) *int { return &l.ModelTokensPerDay }},
	{"conversationsPerDay", 1, 1_000_000, func(l *Limits) *int { return &l.ConversationsPerDay }},
	{"smsPerBusinessPerHour", 0, 10_000, func(l *Limits) *int { return &l.SMSPerBusinessPerHour }},
	{"callerCopiesPerBusinessPerHour", 0, 10_000, func(l *Limits) *int { return &l.CallerCopiesPerBusinessPerHour }},
	{"connectionsPerSourcePerMinute", 60, 100_000, func(l *Limits) *int { return &l.ConnectionsPerSourcePerMinute }},
}

// LimitNames lists the fields of "limits" in the order of the docs.
func LimitNames() []string {
	names := make([]string, len(limitFields))
	for i, f := range limitFields {
		names[i] = f.name
	}
	return names
}

// parseLimits reads "limits": every field is a whole number in its range;
// absent fields take DefaultLimits.
func parseLimits(c *cursor) Limits {
	l := DefaultLimits
	for _, lf := range limitFields {
		v, n, path, ok := c.integer(lf.name)
		if !ok {
			continue
		}
		if v < lf.min || v > lf.max {
			c.f.problem(n, path, "%s %d: want %d to %d", lf.name, v, lf.min, lf.max)
			continue
		}
		*lf.ptr(&l) = v
	}
	c.done()
	return l
}

// OrDefault returns l with every unset (zero-valued) field that may not be
// zero taken from DefaultLimits: a Business built in code, not parsed,
// gets the defaults.
func (l Limits) OrDefault() Limits {
	if l == (Limits{}) {
		return DefaultLimits
	}
	for _, lf := range limitFields {
		if lf.min > 0 && *lf.ptr(&l) == 0 {
			*lf.ptr(&l) = *lf.ptr(&DefaultLimits)
		}
	}
	return l
}
